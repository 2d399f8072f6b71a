import FileExportPlugin
import Foundation
import PluginSDK
import PluginSDKTesting
import Testing

/// The SDK through its own test harness: a connector runs through its real exported manifest and C function table,
/// against an in-memory host, without a .so.
@Suite struct HarnessTests {
    @Test func manifestComesFromTheTypeAndPassesTheHostsRules() throws {
        let harness = try ConnectorHarness(EchoConnector.self)
        #expect(harness.manifest.id == "sdk-echo")
        #expect(harness.manifest.capabilities == [.push, .pull, .events])
        #expect(harness.manifest.secretFields == ["api_key"])
    }

    @Test func pushReportsOneResultPerRecordEvenWhenTheConnectorForgetsOne() throws {
        let harness = try ConnectorHarness(EchoConnector.self, configuration: ["skip": "b"])
        let results = try harness.push([
            PushRecord(key: "a", fields: ["name": "web01"]), PushRecord(key: "b", fields: [:]),
            PushRecord(key: "c", fields: ["fail": true]),
        ])
        #expect(results.map(\.key) == ["a", "b", "c"])
        #expect(results[0] == .created("a", externalID: "ext-a"))
        #expect(results[1].status == .internal)
        #expect(results[1].message == "the connector returned no result for this record")
        #expect(results[2].status == .data)
        #expect(results[2].message == "field `fail` is set")
    }

    @Test func thrownErrorsKeepTheirStatusAndRetryAfter() throws {
        let harness = try ConnectorHarness(EchoConnector.self)
        #expect {
            _ = try harness.push([PushRecord(key: "a", fields: ["throttle": true])])
        } throws: { error in
            (error as? PluginFailure)
                == PluginFailure(status: .rateLimited, message: "slow down", retryAfterMilliseconds: 2000)
        }
    }

    @Test func configurationErrorsNameTheField() {
        #expect {
            _ = try ConnectorHarness(EchoConnector.self, configuration: ["skip": 5])
        } throws: { error in
            (error as? PluginFailure)?.message == "configuration field `skip` must be a non-empty string, got integer"
        }
    }

    @Test func hostServicesReachTheInMemoryHost() throws {
        let host = InMemoryHost { request in
            PluginHTTPResult(
                statusCode: 200, headers: [HTTPHeader("X-Total-Count", "2")], body: Array(#"{"ok":true}"#.utf8))
        }
        let harness = try ConnectorHarness(EchoConnector.self, host: host)
        let answer = try harness.testConnection()
        #expect(answer["total"] == "2")
        #expect(host.requests.map(\.url) == ["/ping"])
        #expect(host.requests.first?.headers.value(for: "accept") == "application/json")
        #expect(host.values["pinged"] == "yes")
        #expect(host.logs.map(\.message) == ["pinging"])
    }

    @Test func pullFollowsCheckpoints() throws {
        let harness = try ConnectorHarness(EchoConnector.self)
        let records = try harness.pullAll(pageSize: 2)
        #expect(records.compactMap { $0["n"]?.intValue } == [0, 1, 2, 3, 4])
    }

    @Test func eventsArriveWithTheirType() throws {
        let harness = try ConnectorHarness(EchoConnector.self)
        try harness.handle(ConnectorEvent(type: "alert", payload: ["record": "r1"]))
        #expect(harness.host.logs.map(\.message) == ["event alert for r1"])
    }

    @Test func fileExportRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let harness = try ConnectorHarness(FileExportConnector.self, configuration: ["directory": .string(folder.path)])
        #expect(try harness.testConnection()["message"]?.stringValue?.contains(folder.path) == true)
        let records = (0..<5).map { PushRecord(key: "r\($0)", fields: ["hostname": .string("host\($0)")]) }
        #expect(try harness.push(records).map(\.action) == ["created", "created", "created", "created", "created"])
        let deletion = try harness.push([PushRecord(key: "r0", operation: .delete, externalID: "r0", fields: [:])])
        #expect(deletion == [.deleted("r0", externalID: "r0")])
        let pulled = try harness.pullAll(pageSize: 2)
        #expect(pulled.count == 6)
        #expect(pulled[4]["fields"]?["hostname"] == "host4")
        #expect(pulled[5]["deleted"] == true)
    }

    @Test func fileExportRefusesABadConfiguration() {
        #expect {
            _ = try ConnectorHarness(FileExportConnector.self, configuration: [:])
        } throws: { error in
            (error as? PluginFailure)?.status == .config
                && (error as? PluginFailure)?.message == "configuration field `directory` is required"
        }
        #expect {
            _ = try ConnectorHarness(
                FileExportConnector.self, configuration: ["directory": "/tmp", "file_name": "../x"])
        } throws: { error in (error as? PluginFailure)?.message.contains("`file_name`") == true }
    }
}

/// A small connector exercising every SDK feature.
final class EchoConnector: PushConnector, PullConnector, EventConnector {
    static let info = ConnectorInfo(
        id: "sdk-echo", name: "SDK echo", version: "0.1.0", vendor: "tests", description: "Echoes.",
        configurationSchema: [
            "type": "object",
            "properties": ["skip": ["type": "string"], "api_key": ["type": "string", "x-secret": true]],
        ])

    let host: ConnectorHost
    let skip: String?

    init(configuration: Configuration, host: ConnectorHost) throws {
        self.host = host
        skip = configuration.json["skip"] == nil ? nil : try configuration.requiredString("skip")
    }

    func testConnection() throws -> JSON {
        host.log(.info, "pinging")
        let response = try host.send(.get("/ping"))
        try host.setValue("yes", forKey: "pinged")
        return ["total": JSON(response.header("x-total-count"))]
    }

    func push(_ records: [PushRecord]) throws -> [RecordResult] {
        if records.contains(where: { $0.fields["throttle"] != nil }) {
            throw ConnectorError.rateLimited("slow down", retryAfterMilliseconds: 2000)
        }
        return records.filter { $0.key != skip }.map { record in
            record.fields["fail"] != nil
                ? .failed(record.key, .data("field `fail` is set"))
                : .created(record.key, externalID: "ext-" + record.key)
        }
    }

    func pull(_ request: PullRequest) throws -> PullPage {
        let start = Int(request.checkpoint ?? "0")!
        let end = min(start + request.pageSize, 5)
        return PullPage(records: (start..<end).map { ["n": JSON($0)] }, checkpoint: String(end), hasMore: end < 5)
    }

    func handle(_ event: ConnectorEvent) throws {
        host.log(.info, "event \(event.type) for \(event.payload["record"]?.stringValue ?? "?")")
    }
}
