import Foundation
import JSONCore
import LoopbackHTTP

/// Identification and Reconciliation: each item is identified by its source's native key, then serial number,
/// name, FQDN and IP address, in that order; a match is updated (or left alone when nothing changed), no match
/// inserted. A CI is never duplicated by sending the same item twice.
extension ServiceNowSimulator {
    static let identifiers = ["serial_number", "name", "fqdn", "ip_address"]
    /// The choices of `discovery_source` on an instance whose admin added `CryptoConnect` (the connector's setup
    /// step): IRE refuses a data source that is not one of them.
    static let dataSources: Set = [
        "ServiceNow", "SCCM", "Altiris", "LanDesk", "ManualEntry", "ImportSet", "Other Automated", "CryptoConnect",
    ]

    func identifyReconcile(_ request: HTTPServerRequest, dryRun: Bool) -> HTTPServerResponse {
        guard let dataSource = request.queryItems["sysparm_data_source"], !dataSource.isEmpty else {
            return failure(status: 400, message: "sysparm_data_source is required: name the source of the CI data")
        }
        guard Self.dataSources.contains(dataSource) else {
            return failure(status: 400, message: "In payload invalid data source [\(dataSource)] exist")
        }
        guard let body = request.jsonBody, let items = body["items"]?.arrayValue else {
            return failure(status: 400, message: "The payload must be a JSON object with an items array")
        }
        let results = lock.withLock {
            var index = IdentifierIndex()
            for sysID in order { index.update(sysID, hardware(sysID)) }
            return items.map { reconcile($0, dataSource: dataSource, dryRun: dryRun, index: &index) }
        }
        return .json(200, ["result": ["items": .array(results), "relations": []]])
    }

    /// The CI if it is hardware, the class IRE identifies by these attributes.
    private func hardware(_ sysID: String) -> [String: String]? {
        records[sysID].flatMap { isA($0, "cmdb_ci_hardware") ? $0 : nil }
    }

    private func reconcile(_ item: JSON, dataSource: String, dryRun: Bool, index: inout IdentifierIndex) -> JSON {
        let className = item["className"]?.stringValue ?? ""
        guard Self.classes[className] != nil else {
            return itemError(
                className, "INVALID_INPUT_DATA",
                className.isEmpty ? "className is required" : "Invalid className [\(className)]")
        }
        var values = (item["values"]?.objectValue ?? [:]).compactMapValues(Self.text)
        values["discovery_source"] = dataSource
        values["last_discovered"] = Self.timestamp()
        let source = item["sys_object_source_info"].flatMap { info -> String? in
            guard let name = info["source_name"]?.stringValue, let key = info["source_native_key"]?.stringValue
            else { return nil }
            return "\(name)|\(key)"
        }
        var attempts: [JSON] = []
        var match: String?
        if let source {
            match = sources[source].flatMap { records[$0] != nil ? $0 : nil }
            attempts.append([
                "identifierName": "Source native key", "attemptResult": match == nil ? "NO_MATCH" : "MATCHED",
            ])
        }
        if match == nil {
            guard Self.identifiers.contains(where: { !(values[$0] ?? "").isEmpty }) else {
                return itemError(
                    className, "MISSING_MATCHING_ATTRIBUTES",
                    "In payload missing minimum set of input values for criterion (identifier) entries for className "
                        + "[\(className)]: send serial_number, name, fqdn or ip_address")
            }
            for attribute in Self.identifiers {
                guard let value = values[attribute], !value.isEmpty else {
                    attempts.append(["identifierName": .string(attribute), "attemptResult": "SKIPPED"])
                    continue
                }
                let found = index.matches(attribute, value)
                if found.count > 1 {
                    attempts.append(["identifierName": .string(attribute), "attemptResult": "MULTI_MATCH"])
                    return itemError(
                        className, "MULTIPLE_DUPLICATE_RECORDS",
                        "Found \(found.count) CIs with \(attribute) \(value); remove the duplicates",
                        attempts: attempts)
                }
                attempts.append([
                    "identifierName": .string(attribute), "attemptResult": found.isEmpty ? "NO_MATCH" : "MATCHED",
                ])
                if let first = found.first {
                    match = first
                    break
                }
            }
        }
        let operation: String
        let sysID: String
        if let match {
            sysID = match
            // A more specific class upgrades the CI (server → Linux server); a broader one leaves it.
            if let current = records[match]?["sys_class_name"], current != className,
                isA(["sys_class_name": className], current), !dryRun
            {
                records[match]?["sys_class_name"] = className
            }
            let compared = values.filter { !["last_discovered"].contains($0.key) }
            let changed = compared.contains { records[match]?[$0.key] != $0.value && Self.columns.contains($0.key) }
            operation = changed ? "UPDATE" : "NO_CHANGE"
            if !dryRun {
                _ = apply(changed ? values : ["last_discovered": values["last_discovered"]!], to: match)
                if let source { sources[source] = match }
                index.update(match, hardware(match))
            }
        } else {
            operation = "INSERT"
            sysID = dryRun ? "" : insert(className, values, source: source)["sys_id"]!
            if !dryRun { index.update(sysID, hardware(sysID)) }
        }
        return [
            "className": .string(className), "operation": .string(operation), "sysId": .string(sysID),
            "identifierEntrySysId": "sandbox-hardware-rule", "identificationAttempts": .array(attempts),
            "errorCount": 0,
        ]
    }

    private func itemError(_ className: String, _ code: String, _ message: String, attempts: [JSON] = []) -> JSON {
        [
            "className": .string(className), "operation": "NO_CHANGE", "identificationAttempts": .array(attempts),
            "errorCount": 1, "errors": [["error": .string(code), "message": .string(message)]],
        ]
    }
}
