import Foundation
import JSONCore
import PluginABI
import PluginRuntime
import TestSupport
import Testing

/// A plugin in C and a plugin in Swift, each loaded with dlopen from its cache copy and answering real calls.
@Suite struct InProcessCallTests {
    let data = TemporaryDirectory("data")

    private func load(_ file: String) throws -> PluginLibrary {
        PackagePaths.useBuiltHost()
        let cache = PluginCache(directory: data.url.appendingPathComponent("cache"))
        return try PluginLibrary.open(try cache.store(file).path)
    }

    @Test func cPluginAnswersCalls() throws {
        let library = try load(try CFixtures.build("good"))
        let host = TestServices()
        let instance = try PluginInstance(
            manifest: library.manifestPointer, configuration: Array("{}".utf8), handler: host)
        let test = instance.call(.test)
        #expect(test.status == .ok)
        #expect(try JSON.parse(test.output)["language"] == "c")
        #expect(host.lines == ["info: test_connection from c-fixture 1.0.0"])

        let batch: JSON = ["records": [["key": "a", "fields": [:]], ["key": "b", "fields": [:]]]]
        let push = instance.call(.push, input: batch.serializedBytes())
        #expect(push.status == .ok)
        #expect(push.results.map(\.key) == ["a", "b"])
        #expect(push.results.allSatisfy { $0.status == .ok && $0.action == "created" })

        let pull = instance.call(.pull, input: Array(#"{"page_size":10}"#.utf8))
        #expect(pull.records.count == 2)
        #expect(try JSON.parse(pull.output)["checkpoint"] == "2")
    }

    @Test func createFailureCarriesStatusAndMessage() throws {
        let library = try load(try CFixtures.build("good"))
        #expect {
            _ = try PluginInstance(
                manifest: library.manifestPointer, configuration: Array(#"{"reject":true}"#.utf8),
                handler: TestServices())
        } throws: { error in
            let failure = error as? PluginFailure
            return failure?.status == .config && failure?.message.contains("`reject`") == true
        }
    }

    @Test func swiftPluginAnswersCalls() throws {
        let library = try load(PackagePaths.plugin("file-export"))
        let exports = TemporaryDirectory("exports")
        let config: JSON = ["directory": .string(exports.path)]
        let instance = try PluginInstance(
            manifest: library.manifestPointer, configuration: config.serializedBytes(), handler: TestServices())
        #expect(instance.call(.test).status == .ok)
        let batch: JSON = ["records": [["key": "k1", "fields": ["hostname": "web01"]]]]
        let push = instance.call(.push, input: batch.serializedBytes())
        #expect(push.status == .ok)
        #expect(push.results == [RecordResult(key: "k1", status: .ok, externalID: "k1", action: "created")])
        let written = try String(contentsOfFile: exports.path + "/crypto-inventory.ndjson", encoding: .utf8)
        #expect(written == #"{"fields":{"hostname":"web01"},"key":"k1"}"# + "\n")
    }
}
