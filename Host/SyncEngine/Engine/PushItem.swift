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
        output.append(UInt8(ascii: "{"))
        if let externalID {
            output.append(contentsOf: #""external_id":"#.utf8)
            JSON.writeString(externalID, to: &output)
            output.append(UInt8(ascii: ","))
        }
        output.append(contentsOf: #""fields":"#.utf8)
        JSON.object(fields).write(to: &output)
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
        var output: [UInt8] = []
        output.reserveCapacity(items.count * 320)
        output.append(contentsOf: #"{"records":["#.utf8)
        for (position, item) in items.enumerated() {
            if position > 0 { output.append(UInt8(ascii: ",")) }
            item.write(to: &output)
        }
        output.append(contentsOf: "]}".utf8)
        return output
    }
}
