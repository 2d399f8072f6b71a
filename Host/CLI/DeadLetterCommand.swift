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
            let letters = try DeliveryRepository(store: try host.openStore()).deadLetters(
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
            guard let letter = try DeliveryRepository(store: try host.openStore()).deadLetter(id) else {
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
            let engine = try options.engine()
            var letters = try ids.map { id -> DeadLetter in
                guard let letter = try engine.delivery.deadLetter(id) else { throw CLIError("no dead letter \(id)") }
                return letter
            }
            if let integration { letters += try engine.delivery.deadLetters(integration: integration) }
            guard !letters.isEmpty else { throw CLIError("nothing to replay: give dead letter ids or --integration") }
            for (integration, group) in Dictionary(grouping: letters, by: \.integration) {
                for letter in group { try engine.delivery.prepareReplay(letter) }
                try engine.queue.enqueue(
                    integration: integration, tenant: group[0].tenant, kind: .push, trigger: .replay,
                    priority: Job.Priority.high,
                    recordIDs: group.map(\.recordID))
                print("Replaying \(group.count) record(s) of \(integration).")
            }
            if wait {
                defer { engine.supervisor.shutdown() }
                try engine.drain(owner: "cli-\(getpid())")
                let open = try Set(letters.map(\.integration)).flatMap {
                    try engine.delivery.deadLetters(integration: $0)
                }
                print(
                    open.isEmpty
                        ? "All replayed records were accepted."
                        : "\(open.count) record(s) were refused again; see `cryptoconnect dlq list`.")
            }
        }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on dead letters (their records are pushed again only when they change).")
        @OptionGroup var host: HostOptions
        @Argument var ids: [Int64]

        func run() throws {
            let delivery = DeliveryRepository(store: try host.openStore())
            for id in ids {
                do { try delivery.discard(id) } catch { throw CLIError("\(error)") }
            }
            print("Discarded \(ids.count) dead letter(s).")
        }
    }
}
