import JSONCore
import Testing

@testable import SyncEngine

/// The push writes each batch item's bytes directly; the plugin must receive exactly what serialising the item's
/// document would give (members in sorted order, strings escaped).
@Suite struct PushItemTests {
    @Test(arguments: [
        PushItem(key: "a1", externalID: nil, table: nil, fields: [:]),
        PushItem(
            key: "b\"2\\", externalID: "sys-ä\n", table: "cmdb_ci_server",
            fields: ["name": "web \"01\"", "risk": 70, "nested": ["z": [1, 2.5, nil, true]], "émoji": "🟢"]),
        PushItem(key: "c3", externalID: "x", table: nil, fields: ["empty": [:], "list": []]),
        PushItem(key: "d4", externalID: nil, table: "t\u{1}", fields: ["ctl": "\u{7}tab\t"]),
    ])
    func itemBytesAreTheDocumentsSerialisation(item: PushItem) {
        var written: [UInt8] = []
        item.write(to: &written)
        #expect(written == item.json.serializedBytes())
    }

    @Test func aBatchIsTheRecordsDocument() {
        let items = [
            PushItem(key: "a", externalID: nil, table: nil, fields: ["n": 1]),
            PushItem(key: "b", externalID: "e", table: "t", fields: [:]),
        ]
        #expect(PushItem.batch(items) == JSON(["records": .array(items.map(\.json))]).serializedBytes())
        #expect(PushItem.batch([]) == JSON(["records": []]).serializedBytes())
    }
}
