import JSONCore

/// An asset's identity fields a scan may not know (an ITAM system fills them in through a pull): a record read
/// again without them keeps the stored values, so a rescan does not erase what a pull added, and the next pull
/// does not add it back, each time changing the record and sending it again. A value the scan does carry wins.
enum KeptIdentity {
    static let fields = ["environment", "id", "mac_address", "serial_number"]

    /// `record` with the identity fields only `stored` has; nil when it lacks none of them.
    static func merge(_ record: InventoryRecord, stored: JSON, validator: RecordValidator) -> InventoryRecord? {
        guard case .object(var document) = record.document, var asset = document["asset"]?.objectValue,
            let storedAsset = stored["asset"]?.objectValue
        else { return nil }
        let missing = fields.filter { asset[$0] == nil && storedAsset[$0] != nil }
        guard !missing.isEmpty else { return nil }
        for field in missing { asset[field] = storedAsset[field] }
        document["asset"] = .object(asset)
        // The stored values passed validation when they were written; validating again builds the canonical record.
        guard case .valid(let merged) = validator.validate(.object(document), at: "stored record \(record.id)") else {
            return nil
        }
        return merged
    }
}
