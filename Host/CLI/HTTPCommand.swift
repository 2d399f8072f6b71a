import ArgumentParser
import Foundation
import HostServices
import JSONCore
import PluginABI
import PluginRuntime

/// Sends requests through the host's HTTP stack (auth, rate limit, retries, circuit breaker) with a connection
/// configuration: the way to check credentials and reachability before adding an integration.
struct HTTPRequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Send a request through the host's HTTP stack with a connection configuration.",
        discussion: """
            The configuration has the host's connection sections: base_url, auth, tls, proxy, timeouts, rate_limit,
            retry, circuit_breaker. Secrets in it are used for this command only and never printed.
            """)

    @OptionGroup var host: HostOptions
    @Option(help: "Connection configuration JSON file.") var config: String
    @Option(help: "Path (joined to base_url) or absolute URL on the same origin.") var url: String
    @Option(help: "HTTP method.") var method = "GET"
    @Option(help: "File whose contents are the request body.") var data: String?
    @Option(name: .customLong("header"), help: "Extra header, \"Name: value\" (repeatable).") var headers: [String] = []
    @Option(help: "Send the request this many times (metrics then show pacing and reuse).") var `repeat` = 1
    @Option(help: "Name the metrics are kept under in the store.") var integration = "cli"
    @Flag(help: "Print the outcome and metrics as JSON.") var json = false

    func validate() throws {
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let document = try readJSON(config, "--config")
        let redactor = Redactor()
        let settings: HTTPSettings
        do {
            let (publicPart, secrets) = try ConfigurationSchema(ConnectionSchema.schema(required: ["base_url"])).split(
                document)
            redactor.register(secrets.values)
            settings = try HTTPSettings(configuration: publicPart, secrets: secrets)
        } catch {
            throw CLIError("--config \(config): \(error)")
        }
        let body =
            try data.map { path -> [UInt8] in
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw CLIError("--data \(path): cannot be read")
                }
                return Array(bytes)
            } ?? []
        let extra = try headers.map { line -> HTTPHeader in
            guard let colon = line.firstIndex(of: ":") else {
                throw ValidationError("--header \"\(line)\": expected \"Name: value\"")
            }
            return HTTPHeader(
                String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let store = try host.openStore()
        let previous = try store.metricsDocuments().first { $0.integration == integration }
            .flatMap { try? JSON.parse($0.document) }.map(HTTPMetricsSnapshot.init(json:))
        let metrics = previous.map(HTTPMetrics.init(restoring:)) ?? HTTPMetrics()
        let http = IntegrationHTTP(
            integration: integration, settings: settings, redactor: redactor, metrics: metrics,
            log: StandardErrorLog(minimumLevel: .info))
        var last = PluginHTTPResult()
        for _ in 0..<`repeat` {
            last = http.send(PluginHTTPRequest(method: method.uppercased(), url: url, headers: extra, body: body))
        }
        try store.saveMetrics(integration: integration, document: metrics.snapshot.json.serialized())
        report(last, metrics: metrics.snapshot, redactor: redactor)
        if last.status != .ok || !(200..<400).contains(last.statusCode) { throw ExitCode(1) }
    }

    private func report(_ result: PluginHTTPResult, metrics: HTTPMetricsSnapshot, redactor: Redactor) {
        let bodyText = redactor.redact(String(decoding: result.body, as: UTF8.self))
        if json {
            var document: [String: JSON] = ["status": .string(result.status.name), "metrics": metrics.json]
            if result.status == .ok {
                document["status_code"] = JSON(result.statusCode)
                document["headers"] = .object(
                    Dictionary(result.headers.map { ($0.name.lowercased(), JSON.string(redactor.redact($0.value))) }) {
                        first, _ in first
                    })
                document["body"] = (try? JSON.parse(bodyText)) ?? .string(bodyText)
            } else {
                document["error"] = .string(result.errorMessage ?? "")
            }
            return print(JSON.object(document).prettyPrinted())
        }
        if result.status == .ok {
            print("HTTP \(result.statusCode)")
            print(bodyText)
        } else {
            Console.error("\(result.status.name): \(result.errorMessage ?? "")")
        }
        print("")
        print(MetricsCommand.render([(integration, metrics)]))
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Show HTTP metrics per integration from the store.")

    @OptionGroup var host: HostOptions
    @Option(help: "Only this integration.") var integration: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let store = try host.openExistingStore()
        let rows = try store.metricsDocuments()
            .filter { integration == nil || $0.integration == integration }
            .map { ($0.integration, HTTPMetricsSnapshot(json: (try? JSON.parse($0.document)) ?? [:])) }
        if let integration, rows.isEmpty { try InventoryCommand.requireIntegration(integration, in: store) }
        if json {
            return print(JSON.object(Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0.1.json) })).prettyPrinted())
        }
        print(rows.isEmpty ? "No metrics recorded yet." : Self.render(rows))
    }

    static func render(_ rows: [(String, HTTPMetricsSnapshot)]) -> String {
        Console.table(
            [
                "INTEGRATION", "REQUESTS", "ATTEMPTS", "FAILURES", "RETRIES", "AVG MS", "P95 MS", "SENT", "RECEIVED",
                "THROTTLED MS",
            ],
            rows.map { name, m in
                let failures = m.failures.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: ",")
                return [
                    name, "\(m.requests)", "\(m.attempts)", failures.isEmpty ? "0" : failures, "\(m.retries)",
                    String(format: "%.1f", m.averageLatencyMilliseconds),
                    String(format: "%.0f", m.latencyPercentileMilliseconds(0.95)),
                    "\(m.bytesSent)", "\(m.bytesReceived)", "\(m.throttledMilliseconds)",
                ]
            })
    }
}
