import PluginSDK

/// Push through Identification and Reconciliation: one request per batch, each record an item with its inventory
/// key as the source's native key, so the same record always lands on the same CI.
extension ServiceNowConnector {
    func push(_ records: [PushRecord]) throws -> [RecordResult] {
        let upserts = records.filter { $0.operation == .upsert }
        var results = try reconcile(upserts)
        for record in records where record.operation == .delete { results.append(try clear(record)) }
        return results
    }

    private func reconcile(_ records: [PushRecord]) throws -> [RecordResult] {
        guard !records.isEmpty else { return [] }
        let items: [JSON] = records.map { record in
            var values = record.fields
            // A host known only by its address: the scanner wrote it where the name goes. It identifies the CI as
            // its IP address, and names a new one, as Discovery names a server it cannot resolve.
            if let fqdn = values["fqdn"]?.stringValue, HostNames.isAddress(fqdn) {
                values["fqdn"] = nil
                if values["ip_address"]?.stringValue?.isEmpty != false { values["ip_address"] = .string(fqdn) }
                if values["name"] == nil { values["name"] = .string(fqdn) }
            }
            // A new CI needs a name: the host part of the FQDN, as ServiceNow Discovery names servers.
            if values["name"] == nil, let fqdn = values["fqdn"]?.stringValue, let short = HostNames.shortName(fqdn) {
                values["name"] = .string(short)
            }
            return [
                "className": .string(record.table ?? className), "values": .object(values),
                "sys_object_source_info": [
                    "source_name": .string(sourceName), "source_native_key": .string(record.key),
                ],
            ]
        }
        // Repeating the request identifies the same CIs again, so it is safe for the host to retry.
        let response = try host.send(
            .json(
                "POST", "/api/now/identifyreconcile?sysparm_data_source=\(PercentEncoding.encode(dataSource))",
                ["items": .array(items), "relations": []], idempotent: true))
        if let failure = ServiceNowError.failure(response, "reconciling \(records.count) CIs") { throw failure }
        let answered = try response.json("the IRE answer")[path: "result.items"]?.arrayValue ?? []
        // Items answer in the order sent; a short or long list cannot be matched to the records. A cut-off body fails
        // to parse above, so this is IRE leaving an item out: each half goes again on its own, down to the record
        // IRE will not answer for, which is refused for its data. One such item costs a few requests, not one per
        // record, and holds back neither the records beside it nor every batch after.
        guard answered.count == records.count else {
            let mismatch = "IRE answered \(answered.count) items for \(records.count) sent"
            guard records.count > 1 else { return [.failed(records[0].key, .data(mismatch))] }
            host.log(.warning, "\(mismatch); reconciling each half on its own")
            let half = records.count / 2
            return try reconcileApart(Array(records[..<half])) + reconcileApart(Array(records[half...]))
        }
        return zip(records, answered).map { record, item in
            // IRE answers "Unknown" for an item it wrote no CI for.
            let sysID = item["sysId"]?.stringValue.flatMap { $0.isEmpty || $0 == "Unknown" ? nil : $0 }
            if (item["errorCount"]?.intValue ?? 0) > 0 || sysID == nil {
                let errors = item["errors"]?.arrayValue ?? []
                let text = errors.map { "\($0["error"]?.stringValue ?? "ERROR"): \($0["message"]?.stringValue ?? "")" }
                return .failed(record.key, .data(text.isEmpty ? "IRE returned no CI" : text.joined(separator: "; ")))
            }
            // An update that also reclassified the CI (UPDATE_WITH_UPGRADE, _DOWNGRADE, _SWITCH) is an update, and an
            // insert of a CI IRE could not identify fully (INSERT_AS_INCOMPLETE) an insert.
            switch item["operation"]?.stringValue ?? "" {
            case let operation where operation.hasPrefix("INSERT"): return .created(record.key, externalID: sysID)
            case let operation where operation.hasPrefix("UPDATE"): return .updated(record.key, externalID: sysID)
            default: return .unchanged(record.key, externalID: sysID)
            }
        }
    }

    /// `records` reconciled on their own after an answer that did not match the batch they were in: what is refused
    /// for them (a 400 for their data, a 5xx) is theirs, not the whole batch's. Refused credentials and throttling
    /// still end the call.
    private func reconcileApart(_ records: [PushRecord]) throws -> [RecordResult] {
        do {
            return try reconcile(records)
        } catch let error as ConnectorError where error.status != .auth && error.status != .rateLimited {
            return records.map { .failed($0.key, error) }
        }
    }

    /// The CMDB owns a CI's lifecycle: a record leaving the inventory clears the CI's crypto columns.
    private func clear(_ record: PushRecord) throws -> RecordResult {
        guard let sysID = record.externalID else { return .unchanged(record.key, externalID: nil) }
        let cleared = JSON.object(Dictionary(uniqueKeysWithValues: Self.cryptoColumns.map { ($0, JSON.string("")) }))
        let response = try host.send(.json("PATCH", "/api/now/table/cmdb_ci/\(sysID)", cleared, idempotent: true))
        if response.statusCode == 404 { return .deleted(record.key, externalID: sysID) }
        if let failure = ServiceNowError.failure(response, "clearing CI \(sysID)") {
            if failure.status == .auth || failure.status == .rateLimited { throw failure }
            return .failed(record.key, failure)
        }
        return .deleted(record.key, externalID: sysID)
    }
}
