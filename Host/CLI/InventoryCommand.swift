import ArgumentParser
import Foundation
import Inventory
import JSONCore
import Store
import SyncEngine

struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Query a tenant's crypto inventory.",
        subcommands: [List.self, Show.self, Events.self])
}

extension InventoryCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List records, optionally filtered.",
            discussion: """
                Filters (repeatable, all must hold): protocol=TLS, environment=production, hostname=web*,
                compliance=non_compliant, risk_score>=7, key_size<2048, port=443, expires_within_days=30,
                cipher_suite=*3DES* (the suite a record names, or any it offers), key_algorithm=RSA.
                """)

        @OptionGroup var host: HostOptions
        @Option var tenant = "default"
        @Option(name: .customLong("filter"), help: "A condition such as risk_score>=7 (repeatable).") var filters:
            [String] = []
        @Option(help: "At most this many records.") var limit = 1000
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1, got \(limit)") }
        }

        func run() throws {
            let filter: InventoryFilter
            do { filter = try InventoryFilter(filters) } catch { throw CLIError(error.description) }
            let store = try host.openExistingStore()
            try InventoryCommand.requireTenant(tenant, in: store)
            var records = try InventoryRepository(store: store).list(tenant: tenant, filter: filter, limit: limit + 1)
            if records.count > limit {
                records.removeLast()
                Console.error("Showing the first \(limit) records; --limit shows more.")
            }
            if json {
                return print(
                    JSON.array(
                        records.map {
                            ["id": .string($0.id), "record": $0.document, "updated_at": .string($0.updatedAt)]
                        }
                    ).prettyPrinted())
            }
            guard !records.isEmpty else {
                return print("No records for tenant \(tenant)\(filters.isEmpty ? "" : " matching the filters").")
            }
            print(
                Console.table(
                    ["ID", "HOST", "PROTOCOL", "PORT", "CIPHER SUITE", "KEY", "RISK", "COMPLIANCE", "CERT EXPIRES"],
                    records.map { stored in
                        let d = stored.document
                        return [
                            stored.id,
                            d[path: "asset.hostname"]?.stringValue ?? d[path: "asset.ip_address"]?.stringValue ?? "-",
                            [
                                d[path: "crypto_implementation.protocol"]?.stringValue,
                                d[path: "crypto_implementation.protocol_version"]?.stringValue,
                            ]
                            .compactMap { $0 }.joined(separator: " "),
                            d[path: "crypto_implementation.port"].map { $0.serialized() } ?? "-",
                            d[path: "crypto_implementation.cipher_suite"]?.stringValue ?? "-",
                            d[path: "crypto_implementation.key_size"].map { $0.serialized() } ?? "-",
                            d[path: "crypto_implementation.risk_score"].map { $0.serialized() } ?? "-",
                            InventoryCommand.compliance(d), d[path: "certificate.expiration_date"]?.stringValue ?? "-",
                        ]
                    }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one record and its events.")

        @OptionGroup var host: HostOptions
        @Argument(help: "The record id (from inventory list).") var id: String
        @Option var tenant = "default"

        func run() throws {
            let store = try host.openExistingStore()
            try InventoryCommand.requireTenant(tenant, in: store)
            let repository = InventoryRepository(store: store)
            let id = id.lowercased()  // ids are hex, written in lower case; list's filter ignores case too
            guard let record = try repository.record(tenant: tenant, id: id) else {
                throw CLIError("no record \(id) in tenant \(tenant)")
            }
            let events = try repository.events(tenant: tenant, recordID: id, limit: .max)
            let document: JSON = [
                "id": .string(record.id), "natural_key": .string(record.naturalKey), "record": record.document,
                "content_hash": .string(record.contentHash), "created_at": .string(record.createdAt),
                "updated_at": .string(record.updatedAt),
                "events": .array(
                    events.map {
                        [
                            "type": .string($0.event.kind.rawValue), "severity": .string($0.event.severity),
                            "detail": $0.event.detail, "at": .string($0.createdAt),
                        ]
                    }),
            ]
            print(document.prettyPrinted())
        }
    }

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List inventory events (discovery, alert, ...).")

        @OptionGroup var host: HostOptions
        @Option var tenant = "default"
        @Option(help: "Only events after this sequence number.") var after: Int64 = 0
        @Option(help: "Only this type: discovery, alert, compliance_change, certificate_expiry, configuration_change.")
        var type: String?
        @Option(help: "At most this many events.") var limit = 1000
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1, got \(limit)") }
            guard let type, InventoryEvent.Kind(rawValue: type) == nil else { return }
            let known = InventoryEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--type must be one of \(known), got \"\(type)\"")
        }

        func run() throws {
            let store = try host.openExistingStore()
            try InventoryCommand.requireTenant(tenant, in: store)
            var events = try InventoryRepository(store: store).events(
                tenant: tenant, after: after, kind: type.flatMap(InventoryEvent.Kind.init(rawValue:)),
                limit: limit + 1)
            if events.count > limit {
                events.removeLast()
                Console.error("Showing \(limit) events; --after \(events.last!.sequence) shows the next ones.")
            }
            if json {
                return print(
                    JSON.array(
                        events.map {
                            [
                                "sequence": JSON(Int($0.sequence)), "type": .string($0.event.kind.rawValue),
                                "severity": .string($0.event.severity), "record_id": .string($0.event.recordID),
                                "detail": $0.event.detail, "at": .string($0.createdAt),
                            ]
                        }
                    ).prettyPrinted())
            }
            print(
                Console.table(
                    ["SEQ", "AT", "TYPE", "SEVERITY", "RECORD", "DETAIL"],
                    events.map {
                        [
                            "\($0.sequence)", $0.createdAt, $0.event.kind.rawValue, $0.event.severity,
                            $0.event.recordID, $0.event.detail.serialized(),
                        ]
                    }))
        }
    }

    /// An integration that does not exist is a typo, not one with nothing to show.
    static func requireIntegration(_ id: String, in store: Store) throws {
        guard try IntegrationRepository(store: store).integration(id) == nil else { return }
        throw CLIError("no integration \(id)")
    }

    /// A tenant nobody added and nothing was ingested into is a typo, not an empty inventory.
    static func requireTenant(_ tenant: String, in store: Store) throws {
        let repository = IntegrationRepository(store: store)
        guard try !repository.tenantExists(tenant), try !InventoryRepository(store: store).hasRecords(tenant: tenant)
        else { return }
        let known = try repository.tenants()
        throw CLIError(
            "no tenant \(tenant)"
                + (known.isEmpty ? "; nothing was ingested yet" : " (tenants: \(known.joined(separator: ", ")))"))
    }

    static func compliance(_ document: JSON) -> String {
        guard let statuses = document[path: "crypto_implementation.compliance_status"]?.objectValue else { return "-" }
        return statuses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "?")" }.joined(
            separator: ",")
    }
}
