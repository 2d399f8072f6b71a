import ArgumentParser
import Foundation
import HostServices
import JSONCore
import PluginABI
import PluginRuntime

extension Plugins {
    /// Exercises one call on one plugin file, through the same supervisor the host uses.
    struct Call: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Call one operation of a plugin and print its result or its classified error.",
            discussion: """
                Input for push: {"records":[{"key","fields":{...}}]} or just the array of records. Input for pull:
                {"checkpoint": null, "page_size": 100}. Exits non-zero when the call fails.
                """)

        @OptionGroup var host: HostOptions
        @Argument(help: "The plugin .so file.") var file: String
        @Option(help: "test, schema, push, pull or event.") var op: String
        @Option(help: "Configuration JSON file for the instance.") var config: String?
        @Option(help: "Input JSON file for push, pull or event.") var input: String?
        @Option(help: "process (default), tenant or none.") var isolation: String = IsolationLevel.process.rawValue
        @Option(help: "Tenant the call runs for (with --isolation tenant).") var tenant: String = "default"
        @Option(name: .customLong("timeout-ms"), help: "Deadline of the call in milliseconds.") var timeout: Int?
        @Flag(help: "Print the outcome as JSON.") var json = false

        func validate() throws {
            guard PluginOperation(rawValue: op) != nil else {
                throw ValidationError("--op must be one of test, schema, push, pull, event; got \"\(op)\"")
            }
            guard IsolationLevel(rawValue: isolation) != nil else {
                throw ValidationError("--isolation must be process, tenant or none; got \"\(isolation)\"")
            }
            if let timeout, timeout <= 0 { throw ValidationError("--timeout-ms must be positive") }
        }

        func run() throws {
            let operation = PluginOperation(rawValue: op)!
            let discovered = host.discovery.inspect(file: file)
            guard let build = PluginBuild(discovered) else {
                Console.error(discovered.message ?? "\(file) was rejected")
                throw ExitCode(1)
            }
            let prepared: PreparedConfiguration
            do {
                prepared = try PreparedConfiguration(
                    try config.map { try readJSON($0, "--config") } ?? [:], schema: build.manifest.configSchema)
            } catch {
                throw CLIError("--config \(config ?? "{}"): \(error)")
            }
            let configuration = prepared.pluginConfiguration
            let (payload, keys) = try preparedInput(for: operation)
            let redactor = Redactor()
            redactor.register(prepared.secrets.values)
            let log = RedactingLog(StandardErrorLog(minimumLevel: .debug), redactor: redactor)
            let supervisor = PluginSupervisor(log: log)
            defer { supervisor.shutdown() }
            let http = prepared.settings.map {
                IntegrationHTTP(
                    integration: "cli", settings: $0, redactor: redactor,
                    userAgent: "CryptoConnect/1.0 \(build.label)", log: log)
            }
            let services = IntegrationServices(
                source: "plugin \(build.label)", http: http, log: log, redactor: redactor)
            let outcome: CallOutcome
            do {
                outcome = try supervisor.call(
                    build,
                    instance: InstanceSpec(
                        key: "cli", tenant: tenant, configuration: configuration.serializedBytes()),
                    isolation: IsolationLevel(rawValue: isolation)!, operation: operation, input: payload,
                    expectedKeys: keys, timeout: timeout.map { .milliseconds($0) }, services: services)
            } catch {
                if json {
                    let document: JSON = [
                        "error": ["code": .string(error.code.rawValue), "message": .string(error.message)]
                    ]
                    print(redactor.redact(document.prettyPrinted()))
                } else {
                    Console.error(redactor.redact(error.description))
                }
                throw ExitCode(1)
            }
            // A target may echo a credential back in its answer: what the plugin made of it is shown masked.
            report(outcome) { redactor.redact($0) }
            // A record the plugin failed is an error too, as it is for `sync run --wait`.
            if outcome.status != .ok || outcome.results.contains(where: { $0.status != .ok }) { throw ExitCode(1) }
        }

        private func preparedInput(for operation: PluginOperation) throws -> ([UInt8], [String]?) {
            let document = try input.map { try readJSON($0, "--input") }
            switch operation {
            case .test, .schema:
                return ([], nil)
            case .pull:
                return ((document ?? ["checkpoint": nil, "page_size": 100]).serializedBytes(), nil)
            case .event:
                guard let document else { throw ValidationError("--op event needs --input with the event") }
                return (document.serializedBytes(), nil)
            case .push:
                guard let document else { throw ValidationError("--op push needs --input with the records") }
                let records = document["records"]?.arrayValue ?? document.arrayValue
                guard let records else {
                    throw ValidationError("\(input!): expected {\"records\": [...]} or an array of records")
                }
                var keys: [String] = []
                for (index, record) in records.enumerated() {
                    guard let key = record["key"]?.stringValue, !key.isEmpty else {
                        throw ValidationError("\(input!): records[\(index)].key: must be a non-empty string")
                    }
                    keys.append(key)
                }
                let batch: JSON = ["records": .array(records)]
                return (batch.serializedBytes(), keys)
            }
        }

        private func report(_ outcome: CallOutcome, masked: (String) -> String) {
            func print(_ text: String) { Swift.print(masked(text)) }
            let output = (try? JSON.parse(outcome.output)) ?? .string(String(decoding: outcome.output, as: UTF8.self))
            if json {
                var document: [String: JSON] = ["status": .string(outcome.status.name), "output": output]
                if !outcome.results.isEmpty { document["results"] = .array(outcome.results.map(\.json)) }
                if !outcome.records.isEmpty {
                    document["records"] = .array(outcome.records.map { (try? JSON.parse($0)) ?? .null })
                }
                print(JSON.object(document).prettyPrinted())
                return
            }
            if outcome.status != .ok {
                let failure = PluginFailure(status: outcome.status, output: outcome.output)
                Console.error(masked("\(failure.status.name): \(failure.message)"))
                return
            }
            print(output.prettyPrinted())
            for result in outcome.results {
                let detail = [result.action, result.externalID.map { "id \($0)" }, result.message].compactMap { $0 }
                print(
                    "\(result.status == .ok ? "ok    " : result.status.name)  \(result.key)  \(detail.joined(separator: ", "))"
                )
            }
            for record in outcome.records { print(String(decoding: record, as: UTF8.self)) }
        }
    }
}

extension RecordResult {
    var json: JSON {
        var object: [String: JSON] = ["key": .string(key), "status": .string(status.name)]
        if let externalID { object["external_id"] = .string(externalID) }
        if let action { object["action"] = .string(action) }
        if let message { object["message"] = .string(message) }
        if retryAfterMilliseconds > 0 { object["retry_after_ms"] = .integer(Int64(retryAfterMilliseconds)) }
        return .object(object)
    }
}
