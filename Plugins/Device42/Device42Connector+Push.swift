import PluginSDK

/// Push: one form-encoded `PUT /api/1.0/device/custom_field/` per record, the device picked by name (else serial
/// number), every non-identity field sent in `bulk_fields`. Setting a custom field is idempotent, so the host may
/// retry it.
extension Device42Connector {
    func push(_ records: [PushRecord]) throws -> [RecordResult] {
        var results: [RecordResult] = []
        var timedOut = false  // the write before this one timed out
        for (index, record) in records.enumerated() {
            if record.operation == .delete {
                // Device42 owns the device; a record leaving the inventory leaves it as it is.
                results.append(.unchanged(record.key, externalID: record.externalID))
                continue
            }
            do {
                results.append(try write(record))
                timedOut = false
            } catch let error as ConnectorError where error.status == .timeout && !timedOut {
                // One device's write timed out: go on with the others (it is retried later on its own), or one
                // slow device would hold back every record after it, push after push. Two in a row: the appliance
                // is the slow one, and the batch stops below.
                results.append(.failed(record.key, error))
                timedOut = true
            } catch let error as ConnectorError where error.status.isRetryable || error.status == .auth {
                // The target is throttling, failing, unreachable or refusing the credentials: stop here. What it
                // took already is reported as taken (a thrown error would lose those writes' results, and the host
                // would send them again); the rest carry the error, to be retried or to pause the integration.
                // Anything else (a TLS or configuration fault) is thrown: no record is to blame for it.
                results += records[index...].map { RecordResult.failed($0.key, error) }
                break
            }
        }
        return results
    }

    private func write(_ record: PushRecord) throws -> RecordResult {
        var form: [(name: String, value: String)] = []
        if let name = record.fields["name"]?.stringValue, !name.isEmpty {
            form.append(("name", name))
        } else if let serial = record.fields["serial_no"]?.stringValue, !serial.isEmpty {
            form.append(("serial", serial))
        } else {
            return .failed(record.key, .data("the record has no name or serial_no to find its Device42 device by"))
        }
        let pairs = record.fields.keys.sorted().filter { !Self.identityFields.contains($0) }.map { key in
            "\(key):\(Self.bulkValue(record.fields[key]!))"
        }
        guard !pairs.isEmpty else { return .unchanged(record.key, externalID: record.externalID) }
        form.append(("bulk_fields", pairs.joined(separator: ",")))
        let response = try host.send(.form("PUT", "/api/1.0/device/custom_field/", form, idempotent: true))
        if let failure = Device42Error.failure(response, "setting custom fields of \(form[0].value)") {
            if failure.status == .auth || failure.status == .rateLimited || failure.status == .server { throw failure }
            return .failed(record.key, failure)
        }
        // Unreadable, the answer may be a refusal (`"code": 2`) as well as a success: the write is tried again.
        let deviceID = try response.json("the answer to setting custom fields of \(form[0].value)")["msg"]?.arrayValue?
            .dropFirst().first
        return .updated(record.key, externalID: deviceID.map { $0.stringValue ?? $0.serialized() })
    }

    /// `bulk_fields` separates pairs with commas, so a value's commas become semicolons.
    static func bulkValue(_ value: JSON) -> String {
        String((value.stringValue ?? value.serialized()).map { $0 == "," ? ";" : $0 })
    }
}
