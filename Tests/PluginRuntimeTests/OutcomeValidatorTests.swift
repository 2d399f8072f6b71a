import PluginABI
import Testing

@testable import PluginRuntime

/// A push's results are checked against the records sent and returned in the order they were sent, whatever order
/// the plugin emitted them in: the engine pairs records with results by position.
@Suite struct OutcomeValidatorTests {
    func validate(_ results: [RecordResult], expected: [String]) throws(PluginCallError) -> [RecordResult] {
        try OutcomeValidator.validate(
            CallOutcome(status: .ok, output: Array("{}".utf8), results: results), operation: .push,
            expectedKeys: expected, plugin: "p"
        ).results
    }

    @Test func resultsComeBackInTheOrderTheRecordsWereSent() throws {
        let emitted = [
            RecordResult(key: "c", status: .ok, externalID: "3"),
            RecordResult(key: "a", status: .data, message: "bad"),
        ]
        let results = try validate(emitted, expected: ["a", "b", "c"])
        #expect(results.map(\.key) == ["a", "b", "c"])
        #expect(results.map(\.status) == [.data, .internal, .ok])
        #expect(results[1].message == "the plugin reported no result for this record")
        #expect(results[2].externalID == "3")
    }

    /// As many results as records, but not in their order (or one twice): reordered, or refused, not taken as they
    /// are.
    @Test func asManyResultsOutOfOrderAreReordered() throws {
        let swapped = try validate(
            [RecordResult(key: "b", status: .ok), RecordResult(key: "a", status: .data)], expected: ["a", "b"])
        #expect(swapped.map(\.key) == ["a", "b"])
        #expect(swapped.map(\.status) == [.data, .ok])
        #expect(throws: PluginCallError.self) {
            _ = try validate(
                [RecordResult(key: "a", status: .ok), RecordResult(key: "a", status: .ok)], expected: ["a", "a2"])
        }
    }

    @Test func aSecondResultForARecordIsAProtocolError() {
        #expect(throws: PluginCallError.self) {
            _ = try validate(
                [RecordResult(key: "a", status: .ok), RecordResult(key: "a", status: .ok)], expected: ["a", "b"])
        }
    }
}
