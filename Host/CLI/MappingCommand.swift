import ArgumentParser
import Foundation
import Inventory
import JSONCore
import SyncEngine

struct Mapping: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check field mappings and preview what they produce.", subcommands: [Validate.self, Apply.self])

    static func load(_ path: String) throws -> FieldMapping {
        let json = try readJSON(path)
        let mapping: FieldMapping
        do {
            mapping = try FieldMapping(json: json)
        } catch {
            throw CLIError(error.problems.map { "\(path): \($0)" }.joined(separator: "\n"))
        }
        // Valid for a pull-only connector's integration, but as a file to check or preview it maps nothing.
        guard !mapping.entries.isEmpty else {
            throw CLIError("\(path): mapping: has no entries; map at least one field")
        }
        return mapping
    }
}

extension Mapping {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a mapping: source fields, transforms, targets.")
        @Argument(help: "Mapping JSON file.") var file: String

        func run() throws {
            let mapping = try Mapping.load(file)
            print("\(file): \(mapping.entries.count) fields, valid.")
            if mapping.onePerAsset {
                print("One item per asset: a host's records are pushed as one, made of its riskiest record.")
            }
            if !mapping.oneWayFields.isEmpty {
                print("One-way (not mapped back when pulling): \(mapping.oneWayFields.joined(separator: ", "))")
            }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print the target records a mapping makes of standard-schema records (the setup wizard's preview).")

        @Option(help: "Mapping JSON file.") var mapping: String
        @Option(help: "Records to map, in any form `ingest` reads: a JSON array, {\"records\": [...]}, NDJSON, a CBOM.")
        var input: String
        @Option(help: "json, ndjson, cbom or auto.") var format = "auto"
        @Flag(
            help:
                "Print the items as a plugin's push input ({\"records\": [...]}, keyed by record id), for `plugins call --op push --input`."
        )
        var pushInput = false

        func validate() throws {
            guard IngestFormat(rawValue: format) != nil else {
                throw ValidationError("--format must be json, ndjson, cbom or auto, got \"\(format)\"")
            }
        }

        func run() throws {
            let fieldMapping = try Mapping.load(mapping)
            // Validated and normalised as an ingest stores them: the preview maps what a push would map.
            let preview: RecordPreview
            do {
                preview = try RecordPreview(file: input, format: IngestFormat(rawValue: format)!)
            } catch {
                throw CLIError("--input \(error.problem)")
            }
            for rejection in preview.rejections { Console.error("rejected \(rejection)") }
            for notice in preview.notices { Console.error("not imported: \(notice)") }
            var output: [JSON] = []
            var failed = false
            let records = preview.records
            func item(
                _ fields: [String: JSON], of record: InventoryRecord, standingFor members: [InventoryRecord]? = nil
            )
                -> JSON
            {
                // As the plugin gets it: keyed by the record the item is made of.
                if pushInput {
                    return PushItem(key: record.id, externalID: nil, table: fieldMapping.targetTable, fields: fields)
                        .json
                }
                var item: [String: JSON] = ["fields": .object(fields)]
                if let table = fieldMapping.targetTable { item["table"] = .string(table) }
                if let members { item["records"] = .array(members.map { .string($0.naturalKey) }) }
                return .object(item)
            }
            func refused(_ record: InventoryRecord, _ problems: MappingProblems) {
                failed = true
                Console.error(problems.problems.map { "record \(record.naturalKey): \($0)" }.joined(separator: "\n"))
            }
            if fieldMapping.onePerAsset {
                // As a push sends them: one item per asset, made of its riskiest record, naming the records it
                // stands for.
                for group in AssetItem.groups(of: records.map(\.document)) {
                    let made = AssetItem(of: group.map { records[$0].document }, mapping: fieldMapping, now: Date())
                    for (index, problems) in made.refused { refused(records[group[index]], problems) }
                    guard let chosen = made.chosen else { continue }
                    output.append(
                        item(
                            made.fields, of: records[group[chosen]],
                            standingFor: made.members.map { records[group[$0]] }))
                }
            } else {
                for record in records {
                    do throws(MappingProblems) {
                        output.append(item(try fieldMapping.apply(to: record.document), of: record))
                    } catch {
                        refused(record, error)
                    }
                }
            }
            print((pushInput ? JSON(["records": .array(output)]) : JSON.array(output)).prettyPrinted())
            if failed || !preview.rejections.isEmpty { throw ExitCode(1) }
        }
    }
}
