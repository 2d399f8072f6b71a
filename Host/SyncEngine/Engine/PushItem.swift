import JSONCore

/// One record as a push batch carries it to the plugin (the SDK's `PushRecord`): the mapped fields under the
/// record's key. Written straight into the batch, member by member, instead of building a tree per record first.
public struct PushItem: Sendable {
    let key: String
    let externalID: String?
    let table: String?
    let fields: [String: JSON]

    public init(key: String, externalID: String?, table: String?, fields: [String: JSON]) {
        (self.key, self.externalID, self.table, self.fields) = (key, externalID, table, fields)
    }

    /// The same bytes as `json.serializedBytes()`: members in sorted order.
    func write(to output: inout [UInt8]) {
        Self.write(key: key, externalID: externalID, table: table, to: &output) { JSON.object(fields).write(to: &$0) }
    }

    /// An item whose fields `writeFields` writes as a JSON object: members in sorted order. If it throws, nothing
    /// of the item is left written.
    static func write<Failure: Error>(
        key: String, externalID: String?, table: String?, to output: inout [UInt8],
        fields writeFields: (inout [UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        let start = output.count
        output.append(UInt8(ascii: "{"))
        if let externalID {
            output.append(contentsOf: #""external_id":"#.utf8)
            JSON.writeString(externalID, to: &output)
            output.append(UInt8(ascii: ","))
        }
        output.append(contentsOf: #""fields":"#.utf8)
        do {
            try writeFields(&output)
        } catch {
            output.removeSubrange(start...)
            throw error
        }
        output.append(contentsOf: #","key":"#.utf8)
        JSON.writeString(key, to: &output)
        output.append(contentsOf: #","operation":"upsert""#.utf8)
        if let table {
            output.append(contentsOf: #","table":"#.utf8)
            JSON.writeString(table, to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// The item as a document, kept with a dead letter as the payload the target refused.
    public var json: JSON {
        var item: [String: JSON] = ["key": .string(key), "operation": "upsert", "fields": .object(fields)]
        if let externalID { item["external_id"] = .string(externalID) }
        if let table { item["table"] = .string(table) }
        return .object(item)
    }

    /// A batch of items as the plugin's push input: `{"records":[...]}`.
    static func batch(_ items: [PushItem]) -> [UInt8] {
        var batch = Batch(reserving: items.count)
        for item in items { batch.add { item.write(to: &$0) } }
        return batch.finish()
    }

    /// A push input written item by item: `{"records":[...]}`.
    struct Batch {
        private var bytes: [UInt8] = []
        private var count = 0

        init(reserving items: Int) {
            bytes.reserveCapacity(items * 320)
            bytes.append(contentsOf: #"{"records":["#.utf8)
        }

        /// Adds the item `writeItem` writes, and returns where it lies in the input; if it throws, nothing of the
        /// item is left written.
        @discardableResult
        mutating func add<Failure: Error>(_ writeItem: (inout [UInt8]) throws(Failure) -> Void) throws(Failure)
            -> Range<Int>
        {
            let start = bytes.count
            if count > 0 { bytes.append(UInt8(ascii: ",")) }
            do {
                try writeItem(&bytes)
            } catch {
                bytes.removeSubrange(start...)
                throw error
            }
            count += 1
            return (count > 1 ? start + 1 : start)..<bytes.count
        }

        /// The input, closed.
        mutating func finish() -> [UInt8] {
            bytes.append(contentsOf: "]}".utf8)
            return bytes
        }
    }
}
