import ArgumentParser
import Foundation
import Inventory
import JSONCore

struct Mapping: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check field mappings and preview what they produce.", subcommands: [Validate.self, Apply.self])

    static func load(_ path: String) throws -> FieldMapping {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot be read") }
        do {
            return try FieldMapping(json: try JSON.parse(Array(data)))
        } catch let problems as MappingProblems {
            throw CLIError(problems.problems.map { "\(path): \($0)" }.joined(separator: "\n"))
        } catch {
            throw CLIError("\(path): \(error)")
        }
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
        @Option(help: "Records: a JSON array, {\"records\": [...]}, or NDJSON.") var input: String

        func run() throws {
            let fieldMapping = try Mapping.load(mapping)
            guard let data = FileManager.default.contents(atPath: input) else {
                throw CLIError("--input \(input): cannot be read")
            }
            let records: [JSON]
            if let document = try? JSON.parse(Array(data)) {
                guard let list = document.arrayValue ?? document["records"]?.arrayValue else {
                    throw CLIError("--input \(input): expected an array of records or {\"records\": [...]}")
                }
                records = list
            } else {
                records = try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().compactMap {
                    index, line in
                    guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
                    do { return try JSON.parse(String(line)) } catch {
                        throw CLIError("--input \(input): line \(index + 1): \(error)")
                    }
                }
            }
            var output: [JSON] = []
            var failed = false
            for (index, record) in records.enumerated() {
                do {
                    var mapped: [String: JSON] = ["fields": .object(try fieldMapping.apply(to: record))]
                    if let table = fieldMapping.targetTable { mapped["table"] = .string(table) }
                    output.append(.object(mapped))
                } catch {
                    failed = true
                    Console.error(error.problems.map { "records[\(index)].\($0)" }.joined(separator: "\n"))
                }
            }
            print(JSON.array(output).prettyPrinted())
            if failed { throw ExitCode(1) }
        }
    }
}
