import PluginSDK
import PluginSDKTesting
import Testing

/// How the SDK hands a push batch to a connector: each record's fields as the bytes the host wrote, built into
/// values only when the connector reads them.
@Suite struct PushBatchTests {
    /// Answers each record with what it was given: its fields' bytes as the external id, and how it read them.
    final class ForwardingConnector: PushConnector {
        static let info = ConnectorInfo(
            id: "sdk-forward", name: "SDK forward", version: "0.1.0", vendor: "tests", description: "Forwards.")

        init(configuration: Configuration, host: ConnectorHost) throws {}
        func testConnection() throws -> JSON { [:] }

        func push(_ records: [PushRecord]) throws -> [RecordResult] {
            records.map { record in
                let name = record.operation == .delete ? "deleted" : record.fields["name"]?.stringValue ?? "-"
                let fields = String(decoding: record.fieldsJSON, as: UTF8.self)
                return RecordResult(
                    key: record.key, status: .ok, externalID: fields, action: "updated",
                    message: "\(name) \(record.table ?? "-")")
            }
        }
    }

    func push(_ batch: String) throws -> [RecordResult] {
        try ConnectorHarness(ForwardingConnector.self).push(batch: Array(batch.utf8))
    }

    /// The host's bytes go on untouched (a connector forwarding them sends what the mapping made), and reading the
    /// fields gives their values; members come in any order and unknown ones are stepped over.
    @Test func fieldsAreTheBytesTheHostSent() throws {
        let results = try push(
            #"""
            {"records": [
              {"fields": {"name": "web01", "risk": 70,  "tags": ["a"]}, "key": "r1", "x-later": {"a": [1]},
               "table": "cmdb_ci_server"},
              {"key": "r2", "operation": "delete", "fields": {}},
              {"key": "r3", "fields": null}
            ], "x-batch": 1}
            """#)
        #expect(results.map(\.externalID) == [#"{"name": "web01", "risk": 70,  "tags": ["a"]}"#, "{}", "{}"])
        #expect(results.map(\.message) == ["web01 cmdb_ci_server", "deleted -", "- -"])
    }

    /// Fields written over several lines come out on one (a connector may write one record a line); a repeated
    /// `records` or `fields` counts as its last, as when parsing, and fields that are not an object are none.
    @Test func whatABatchMeansIsWhatParsingItMeans() throws {
        let results = try push(
            """
            {"records": [{"key": "old", "fields": {}}],
             "records": [
              {"key": "r1", "fields": {
                 "name": "web01",\t"tags": ["a", "b c"]}},
              {"key": "r2", "fields": {"name": "web02"}, "fields": 5}
            ]}
            """)
        #expect(results.map(\.key) == ["r1", "r2"])
        #expect(results.map(\.externalID) == [#"{"name":"web01","tags":["a","b c"]}"#, "{}"])
    }

    /// A record made in Swift gives its fields' canonical bytes, and one whose fields are set again gives the new
    /// ones.
    @Test func aRecordMadeHereGivesItsFieldsCanonicalBytes() throws {
        var record = PushRecord(key: "r1", fields: ["name": "web01", "a": [1, 2], "risk": 7])
        #expect(String(decoding: record.fieldsJSON, as: UTF8.self) == #"{"a":[1,2],"name":"web01","risk":7}"#)
        record.fields["name"] = "web02"
        #expect(String(decoding: record.fieldsJSON, as: UTF8.self) == #"{"a":[1,2],"name":"web02","risk":7}"#)
        let harness = try ConnectorHarness(ForwardingConnector.self)
        #expect(try harness.push([record]).map(\.externalID) == [#"{"a":[1,2],"name":"web02","risk":7}"#])
    }

    @Test func aBatchTheSDKCannotReadIsTheHostsFaultNamingWhere() throws {
        let cases: [(String, String)] = [
            (#"{"records": [{"key": "a", "fields": {}}, 5]}"#, "records[1]: not an object; the host always sends one"),
            (#"{"records": [{"fields": {"name": "x"}}]}"#, "records[0].key: missing; the host always sends one"),
            (
                #"{"records": [{"key": "a", "fields": {"name": }}]}"#,
                "the host sent a push batch that cannot be read: line 1, column 46: unexpected '}', expected a value"
            ),
            (#"[]"#, "the host sent a push batch that cannot be read: line 1, column 1: expected an object, found '['"),
            // Fields go on as the host wrote them, so they are checked as parsing checks them.
            (
                #"{"records": [{"key": "a", "fields": {"n": "\q"}}]}"#,
                "the host sent a push batch that cannot be read: line 1, column 46: invalid escape '\\q'"
            ),
        ]
        for (batch, message) in cases {
            #expect(Comment(rawValue: batch)) { try push(batch) } throws: { error in
                (error as? PluginFailure) == PluginFailure(status: .internal, message: message)
            }
        }
    }
}
