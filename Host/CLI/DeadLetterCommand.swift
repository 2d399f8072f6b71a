import ArgumentParser
import Foundation
import JSONCore
import SyncEngine

struct DeadLetters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "Records a target refused: inspect, replay or discard them.",
        subcommands: [List.self, Show.self, Replay.self, Discard.self])
}

extension DeadLetters {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open dead letters.")
        @OptionGroup var host: HostOptions
        @Option var tenant: String?
        @Option var integration: String?
        @Flag(help: "Include resolved and discarded ones.") var all = false
        @Flag var json = false

        func run() throws {
            let store = try host.openExistingStore()
            if let tenant { try InventoryCommand.requireTenant(tenant, in: store) }
            if let integration { try InventoryCommand.requireIntegration(integration, in: store) }
            let letters = try DeliveryRepository(store: store).deadLetters(
                tenant: tenant, integration: integration, state: all ? nil : "open")
            if json {
                return print(
                    JSON.array(
                        letters.map {
                            [
                                "id": JSON(Int($0.id)), "integration": .string($0.integration),
                                "record_id": .string($0.recordID), "error_code": .string($0.errorCode),
                                "error": .string($0.error), "attempts": JSON($0.attempts), "state": .string($0.state),
                            ]
                        }
                    ).prettyPrinted())
            }
            guard !letters.isEmpty else { return print("No dead letters.") }
            print(
                Console.table(
                    ["ID", "INTEGRATION", "RECORD", "CODE", "ATTEMPTS", "STATE", "ERROR"],
                    letters.map {
                        [
                            "\($0.id)", $0.integration, $0.recordID, $0.errorCode, "\($0.attempts)", $0.state,
                            String($0.error.prefix(80)),
                        ]
                    }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dead letter with its payload.")
        @OptionGroup var host: HostOptions
        @Argument var id: Int64

        func run() throws {
            guard let letter = try DeliveryRepository(store: try host.openExistingStore()).deadLetter(id) else {
                throw CLIError("no dead letter \(id)")
            }
            let document: JSON = [
                "id": JSON(Int(letter.id)), "integration": .string(letter.integration),
                "tenant": .string(letter.tenant),
                "record_id": .string(letter.recordID), "error_code": .string(letter.errorCode),
                "error": .string(letter.error),
                "attempts": JSON(letter.attempts), "state": .string(letter.state), "payload": letter.payload,
                "created_at": .string(letter.createdAt), "updated_at": .string(letter.updatedAt),
            ]
            print(document.prettyPrinted())
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push dead-lettered records again (after fixing the cause).")
        @OptionGroup var options: EngineOptions
        @Argument(help: "Dead letter ids.") var ids: [Int64] = []
        @Option(help: "Replay every open dead letter of this integration.") var integration: String?
        @Flag(help: "Run the replay now and wait for it.") var wait = false

        func run() throws {
            let engine = try options.engine(runsJobs: wait)
            var seen: Set<Int64> = []
            var letters = try ids.filter { seen.insert($0).inserted }.map { id -> DeadLetter in
                guard let letter = try engine.delivery.deadLetter(id) else { throw CLIError("no dead letter \(id)") }
                return letter
            }
            if let integration {
                guard try engine.integrations.integration(integration) != nil else {
                    throw CLIError("no integration \(integration)")
                }
                letters += try engine.delivery.deadLetters(integration: integration).filter { !ids.contains($0.id) }
            }
            guard !letters.isEmpty else {
                throw CLIError(
                    integration.map { "integration \($0) has no open dead letters" }
                        ?? "nothing to replay: give dead letter ids or --integration")
            }
            let groups = Dictionary(grouping: letters, by: \.integration).sorted { $0.key < $1.key }
            // A paused or disabled integration runs no jobs: its letters would wait in `replaying` unseen.
            for (integration, _) in groups {
                if let state = InactiveIntegration(integration, try engine.integrations.integration(integration)) {
                    throw CLIError(
                        state.disabled
                            ? "\(state); `cryptoconnect integrations enable \(integration)`, then replay" : "\(state)")
                }
            }
            do { try engine.delivery.prepareReplay(letters) } catch { throw CLIError("\(error)") }
            var jobs: [(id: Int64, letters: [DeadLetter])] = []
            for (integration, group) in groups {
                let job = try engine.queue.enqueue(
                    integration: integration, tenant: group[0].tenant, kind: .push, trigger: .replay,
                    priority: Job.Priority.high, recordIDs: group.map(\.recordID))
                jobs.append((job, group))
                print("Replaying \(group.count) record(s) of \(integration).")
            }
            guard wait else { return }
            defer { engine.supervisor.shutdown() }
            // Every integration's replay runs and is reported, whatever became of an earlier one's.
            var failed = false
            for (job, group) in jobs {
                do { try report(job, group, engine) } catch {
                    failed = true
                    if !(error is ExitCode) { Console.error("Error: \(error)") }
                }
            }
            if failed { throw ExitCode(1) }
        }

        /// Runs one integration's replay job and says what became of the letters replayed (not of the others).
        private func report(_ job: Int64, _ letters: [DeadLetter], _ engine: SyncEngine) throws {
            let integration = letters[0].integration
            let waited = try engine.runUntilFinished(
                [job], integration: integration, owner: "cli-\(getpid())", watchesSignals: true)
            let states = try letters.map { try engine.delivery.deadLetter($0.id)?.state }
            let accepted = states.filter { $0 == "resolved" }.count
            let refused = states.filter { $0 == "open" }.count
            if accepted == letters.count {
                return print("All \(accepted) replayed record(s) of \(integration) were accepted.")
            }
            print(
                "\(integration): \(accepted) of \(letters.count) replayed record(s) accepted, \(refused) refused again"
                    + (refused > 0 ? " (see `cryptoconnect dlq list`)" : "")
                    + ", \(letters.count - accepted - refused) not replayed.")
            if let stopped = waited.stopped { throw CLIError("\(stopped)\nStopped waiting; the replay stays queued.") }
            if waited.interrupted { throw CLIError("stopped by a signal; the replay went back to the queue") }
            if waited.stillRetrying {
                throw CLIError(
                    "the replay is still retrying (\(waited.jobs.first?.error ?? "")); `serve` goes on with it")
            }
            if let failed = waited.jobs.first(where: { $0.state == .failed }) {
                throw CLIError(
                    "replay job \(failed.id) of \(integration) failed: \(failed.error ?? "no error recorded")")
            }
            // Refused again is not done: a script replaying after a fix must notice the fix did not take.
            if accepted < letters.count { throw ExitCode(1) }
        }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on dead letters (their records are pushed again only when they change).")
        @OptionGroup var host: HostOptions
        @Argument var ids: [Int64]

        func run() throws {
            let delivery = DeliveryRepository(store: try host.openExistingStore())
            do { try delivery.discard(ids) } catch { throw CLIError("\(error)") }
            print("Discarded \(ids.count) dead letter(s).")
        }
    }
}
