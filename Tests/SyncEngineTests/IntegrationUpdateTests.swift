import Foundation
import JSONCore
import TestSupport
import Testing

/// `integrations update` as an operator runs it: it fixes an integration in place, so what was synced stays synced,
/// and a change that would not pass `integrations add` leaves the integration exactly as it was.
extension SyncCommandTests {
    var sinkID: String { "acme-fixture-rest-sink" }

    /// The sink's host names and their environment and serial number in the inventory.
    func inventory() throws -> [String: (environment: String?, serial: String?)] {
        let list = try JSON.parse(try cc(["inventory", "list", "--tenant", "acme", "--json"]).stdout).arrayValue ?? []
        var found: [String: (String?, String?)] = [:]
        for item in list {
            let record = item["record"] ?? [:]
            guard let host = record[path: "asset.hostname"]?.stringValue else { continue }
            found[host] = (
                record[path: "asset.environment"]?.stringValue, record[path: "asset.serial_number"]?.stringValue
            )
        }
        return found
    }

    @Test func newCredentialsResumeAPausedIntegrationAndThePushSendsOnlyWhatChanged() throws {
        try setUp()
        sink.rejectFieldValue = "reject-me"
        #expect(try cc(["ingest", records(20), "--tenant", "acme"]).status == 0)
        #expect(try cc(["ingest", records(1, prefix: "reject-me"), "--tenant", "acme"]).status == 0)
        #expect(try cc(["sync", "run", sinkID, "--wait", "--push-only"]).status == 1)  // one refused
        #expect(sink.created == 20)

        // The target's token is rotated: the next push is refused and pauses the integration.
        let rotated = "tok-\(UUID().uuidString)"
        sink.requiredToken = rotated
        let changed = folder.file(
            "changed.json", JSON.array((0..<5).map { asset("host\($0)", risk: 8) }).serialized())
        #expect(try cc(["ingest", changed, "--tenant", "acme"]).status == 0)
        let refused = try cc(["sync", "run", sinkID, "--wait", "--push-only"])
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains("fix them with `cryptoconnect integrations update \(sinkID) --config FILE`"),
            "\(refused.stderr)")

        let update = try cc(["integrations", "update", sinkID, "--config", config(token: rotated)])
        #expect(update.status == 0, "\(update.stderr)")
        #expect(update.stdout.contains("Updated integration \(sinkID): configuration; sealed secrets: auth.token."))
        #expect(update.stdout.contains("Resumed \(sinkID)"))
        #expect(!(update.stdout + update.stderr).contains(rotated))
        #expect(try !storeHolds(rotated))

        // Sync state was kept: only the five changed records go out, as updates, none created twice.
        let push = try cc(["sync", "run", sinkID, "--wait", "--push-only"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(sink.created == 20)
        #expect(sink.stored.values.filter { $0.writes == 2 }.count == 5)
        #expect(sink.stored.values.map(\.writes).reduce(0, +) == 25)
        #expect(try openLetters() == [1])  // the dead letter is still there to replay
    }

    @Test func anUpdateThatFailsChangesNothingAndNamesTheProblem() throws {
        try setUp()
        #expect(try cc(["ingest", records(5), "--tenant", "acme"]).status == 0)
        #expect(try cc(["sync", "run", sinkID, "--wait", "--push-only"]).status == 0)
        let before = try cc(["integrations", "show", sinkID]).stdout

        let unused = "tok-\(UUID().uuidString)"  // the sink does not take it
        let fresh = config(token: unused)
        let wrongType = folder.file(
            "wrong-type.json",
            JSON(["base_url": .string(sink.baseURL), "auth": ["type": "bearer", "token": "x"], "path": 7]).serialized())
        let mapping = folder.file(
            "mapping.json", JSON.array([["source_field": "asset.colour", "target_field": "name"]]).serialized())
        let unknownField = folder.file("unknown-field.json", JSON(["asset.colour": "itam"]).serialized())
        let unknownOwner = folder.file("unknown-owner.json", JSON(["asset.environment": "us"]).serialized())
        let pathTwice = folder.file(
            "path-twice.json",
            #"{"base_url": "\#(sink.baseURL)", "auth": {"type": "none"}, "path": "/a", "path": "/b"}"#)
        let attempts: [([String], String)] = [
            (["--config", wrongType, "--no-test"], "configuration:"),
            (["--config", pathTwice, "--no-test"], #"path-twice.json: line 1, column "#),
            (["--config", pathTwice, "--no-test"], #"member name "path" appears twice in the same object"#),
            (["--config", fresh, "--mapping", mapping, "--no-test"], "asset.colour"),
            (
                ["--config", fresh, "--source-of-truth", unknownField, "--no-test"],
                "source of truth: \"asset.colour\" is no field or section of the standard schema"
            ),
            (
                ["--config", fresh, "--source-of-truth", unknownOwner, "--no-test"],
                "source of truth: \"asset.environment\" must belong to \"itam\" or \"platform\", not \"us\""
            ),
            (["--config", fresh, "--schedule", "61 * * * *"], "minute field \"61\" is outside 0-59"),
            (["--config", fresh, "--events", "alert,gossip"], "unknown event type \"gossip\""),
            (
                ["--realtime", "--no-realtime", "--no-test"],
                "'--no-realtime' had already been set with flag '--realtime'"
            ),
            (["--config", fresh], "connection test failed: auth_error"),
        ]
        for (arguments, problem) in attempts {
            let result = try cc(["integrations", "update", sinkID] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(problem), "\(arguments): \(result.stderr)")
            #expect(!(result.stdout + result.stderr).contains(unused))
            #expect(try cc(["integrations", "show", sinkID]).stdout == before, "\(arguments) changed the integration")
        }
        #expect(
            try cc(["integrations", "update", "acme-nope", "--no-test", "--realtime"]).stderr.contains(
                "no integration acme-nope"))
        #expect(try !storeHolds(unused))

        // The sealed token is still the one the sink takes, and the sync state still knows what it has.
        #expect(
            try cc([
                "ingest", folder.file("one.json", JSON.array([asset("host0", risk: 8)]).serialized()),
                "--tenant", "acme",
            ]).status == 0)
        let push = try cc(["sync", "run", sinkID, "--wait", "--push-only"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(sink.created == 5)
        #expect(sink.stored.values.map(\.writes).reduce(0, +) == 6)
    }

    @Test func theSourceOfTruthPolicyDecidesWhatAPullTakesOver() throws {
        let policy = folder.file("policy.json", JSON(["asset.environment": "platform"]).serialized())
        try setUp(["--source-of-truth", policy])
        #expect(
            try cc([
                "ingest", folder.file("web.json", JSON.array([asset("web01", environment: "staging")]).serialized()),
                "--tenant", "acme",
            ]).status == 0)
        sink.assets = [["id": "cmdb-1", "name": "web01", "environment": "production", "serial_number": "SN-42"]]

        #expect(try cc(["sync", "run", sinkID, "--wait", "--pull-only"]).status == 0)
        // The environment is now the platform's; the serial number is the ITAM system's as by default.
        #expect(try inventory()["web01"]?.environment == "staging")
        #expect(try inventory()["web01"]?.serial == "SN-42")

        let itam = folder.file("itam.json", JSON(["asset.environment": "itam"]).serialized())
        let update = try cc(["integrations", "update", sinkID, "--source-of-truth", itam])
        #expect(update.status == 0, "\(update.stderr)")
        #expect(try cc(["integrations", "show", sinkID]).stdout.contains("\"asset.environment\": \"itam\""))
        #expect(try cc(["sync", "run", sinkID, "--wait", "--pull-only"]).status == 0)
        #expect(try inventory()["web01"]?.environment == "production")
    }
}

extension SyncCommandTests {
    /// An event type given twice is one subscription.
    @Test func anEventTypeGivenTwiceIsOneSubscription() throws {
        try setUp()
        let update = try cc(["integrations", "update", sinkID, "--events", "alert, alert,discovery", "--no-test"])
        #expect(update.status == 0, "\(update.stderr)")
        let shown = try JSON.parse(try cc(["integrations", "show", sinkID]).stdout)
        #expect(shown["event_types"] == ["alert", "discovery"])
    }
}
