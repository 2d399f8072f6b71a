import JSONCore

extension PushRecord {
    /// The records of a push batch as the host sends it, `{"records": [...]}`, each one's fields kept as the bytes
    /// the host wrote them in: a connector that sends them on unchanged never builds them.
    static func batch(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [PushRecord] {
        guard !bytes.isEmpty else { return [] }
        var records: [PushRecord] = []
        var reader = JSONReader(bytes)
        do {
            try reader.readObject { name, reader in
                guard name == "records", reader.next == .array else { return try reader.skipValue() }
                records = []  // a repeated name: the last one counts, as when parsing
                try reader.readArray { index, reader in records.append(try read(&reader, index: index)) }
            }
            try reader.finish()
        } catch let error as JSONParseError {
            throw ConnectorError.internal("the host sent a push batch that cannot be read: \(error)")
        }
        return records
    }

    /// One item of the batch; its members in any order, unknown ones stepped over.
    private static func read(_ reader: inout JSONReader, index: Int) throws -> PushRecord {
        var (key, operation, externalID, table): (String?, Operation?, String?, String?)
        var mapped = MappedFields([:])
        guard reader.next == .object else {
            try reader.skipValue()
            throw ConnectorError.internal("records[\(index)]: not an object; the host always sends one")
        }
        try reader.readObject { name, reader in
            switch name {
            case "key": key = try reader.readValue().stringValue
            case "operation": operation = try reader.readValue().stringValue.flatMap(Operation.init(rawValue:))
            case "external_id": externalID = try reader.readValue().stringValue
            case "table": table = try reader.readValue().stringValue
            case "fields" where reader.next == .object: mapped = MappedFields(json: oneLine(try reader.readRaw()))
            case "fields":
                try reader.skipValue()
                mapped = MappedFields([:])
            default: try reader.skipValue()
            }
        }
        guard let key, !key.isEmpty else {
            throw ConnectorError.internal("records[\(index)].key: missing; the host always sends one")
        }
        return PushRecord(
            key: key, operation: operation ?? .upsert, externalID: externalID, table: table, mapped: mapped)
    }

    /// The fields' bytes, on one line: what a connector forwards may go into a file of one record a line. A line
    /// break or tab can only be whitespace between tokens (inside strings they are escaped), so bytes without any
    /// are kept as they are; the host writes none.
    private static func oneLine(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard raw.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return Array(raw) }
        return (try? JSON.parse(raw))?.serializedBytes() ?? Array(raw)
    }
}
