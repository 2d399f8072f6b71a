import Foundation
import JSONCore
import TestSupport
import Testing

/// `dlq replay` and `dlq discard` as an operator runs them: they act on the letters named, say truthfully what
/// became of them, and refuse what cannot happen instead of leaving letters stuck.
extension SyncCommandTests {
    /// Pushes two good records and `count` the sink refuses: dead letters 1...count of `acme-fixture-rest-sink`.
    func deadLetters(_ count: Int) throws {
        sink.rejectFieldValue = "reject-me"
        #expect(try cc(["ingest", records(2), "--tenant", "acme"]).status == 0)
        #expect(try cc(["ingest", records(count, prefix: "reject-me"), "--tenant", "acme"]).status == 0)
        let run = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait", "--push-only"])
        #expect(run.status == 1)  // records were refused
        #expect(
            run.stderr.contains(
                "\(count) record(s) refused by the target (`cryptoconnect dlq list --integration acme-fixture-rest-sink`)"
            ), "\(run.stderr)")
    }

    func openLetters() throws -> [Int] {
        try JSON.parse(try cc(["dlq", "list", "--json"]).stdout).arrayValue?.compactMap { $0["id"]?.intValue } ?? []
    }

    @Test func replayingForADisabledIntegrationIsRefusedAndLeavesTheLettersOpen() throws {
        try setUp()
        try deadLetters(3)
        #expect(try cc(["integrations", "disable", "acme-fixture-rest-sink"]).status == 0)

        let replay = try cc(["dlq", "replay", "--integration", "acme-fixture-rest-sink", "--wait"])
        #expect(replay.status != 0)
        #expect(replay.stderr.contains("integration acme-fixture-rest-sink is disabled"), "\(replay.stderr)")
        #expect(!replay.stdout.contains("accepted"))
        #expect(try openLetters() == [1, 2, 3])
    }

    @Test func aReplayReportsOnlyTheLettersItReplayed() throws {
        try setUp()
        try deadLetters(3)

        let unknown = try cc(["dlq", "replay", "--integration", "acme-nope"])
        #expect(unknown.stderr.contains("no integration acme-nope"), "\(unknown.stderr)")
        let refused = try cc(["dlq", "replay", "1", "1", "--wait"])  // a letter named twice is one letter
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stdout.contains("Replaying 1 record(s) of acme-fixture-rest-sink."))
        #expect(refused.stdout.contains("0 of 1 replayed record(s) accepted, 1 refused again"), "\(refused.stdout)")

        sink.rejectFieldValue = nil
        let accepted = try cc(["dlq", "replay", "2", "--wait"])
        #expect(accepted.stdout.contains("All 1 replayed record(s) of acme-fixture-rest-sink were accepted."))
        #expect(try openLetters() == [1, 3])
    }

    @Test func aResolvedDeadLetterIsNeitherReplayedNorDiscarded() throws {
        try setUp()
        try deadLetters(1)
        sink.rejectFieldValue = nil
        #expect(try cc(["dlq", "replay", "1", "--wait"]).stdout.contains("were accepted"))

        let replay = try cc(["dlq", "replay", "1", "--wait"])
        #expect(replay.status != 0)
        #expect(replay.stderr.contains("dead letter 1 is resolved, so there is nothing to replay"), "\(replay.stderr)")
        let discard = try cc(["dlq", "discard", "1"])
        #expect(discard.status != 0)
        #expect(discard.stderr.contains("dead letter 1 is resolved, so there is nothing to discard"))
        #expect(try JSON.parse(try cc(["dlq", "show", "1"]).stdout)["state"] == "resolved")
        let status = try JSON.parse(try cc(["sync", "status", "--json"]).stdout)
        #expect(status[0]?["open_errors"] == 0)
        #expect(status[0]?["resolved_errors"] == 1)
    }
}

extension SyncCommandTests {
    /// Discarded letters are settled, not fixed: the status counts them apart from the resolved ones (it said
    /// "3 resolved" for letters nobody fixed).
    @Test func discardedLettersAreNotCountedAsResolved() throws {
        try setUp()
        try deadLetters(3)
        #expect(try cc(["dlq", "discard", "1", "2"]).status == 0)
        let status = try JSON.parse(try cc(["sync", "status", "--json"]).stdout)
        #expect(status[0]?["open_errors"] == 1)
        #expect(status[0]?["resolved_errors"] == 0)
        #expect(status[0]?["discarded_errors"] == 2)
        #expect(try cc(["sync", "status"]).stdout.contains("Errors: 1 open (0 resolved, 2 discarded)"))
    }
}
