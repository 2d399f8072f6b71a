import ArgumentParser
import Foundation
import Inventory
import JSONCore
import SyncEngine

struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Run syncs on demand and see how integrations are doing.",
        subcommands: [Run.self, Status.self, Jobs.self])
}

extension Sync {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a sync of one integration now (pull, then push, as the plugin can).",
            discussion:
                "With --wait the command runs the jobs itself and prints what they did; `serve` need not be running. It "
                + "exits 1 when a job failed, or when records were refused (dead letters) or pulled values were.")

        @OptionGroup var options: EngineOptions
        @Argument(help: "Integration id.") var integration: String
        @Flag(help: "Reconcile every record, not only the changed ones.") var full = false
        @Flag(help: "Run the jobs now and wait for them.") var wait = false
        @Flag(help: "Only push.") var pushOnly = false
        @Flag(help: "Only pull.") var pullOnly = false

        func validate() throws {
            if pushOnly && pullOnly {
                throw ValidationError("--push-only and --pull-only exclude each other; give neither to pull, then push")
            }
        }

        func run() throws {
            let engine = try options.engine(runsJobs: wait)
            guard let found = try engine.integrations.integration(integration) else {
                throw CLIError("no integration \(integration)")
            }
            if let state = InactiveIntegration(integration, found) {
                throw CLIError(
                    state.disabled ? "\(state); `cryptoconnect integrations enable \(integration)` first" : "\(state)")
            }
            let kinds: [Job.Kind] = pushOnly ? [.push] : pullOnly ? [.pull] : [.pull, .push]
            let queued = try engine.enqueueSync(
                found, trigger: .manual, full: full, priority: Job.Priority.high, kinds: kinds)
            guard !queued.isEmpty else {
                throw CLIError(
                    "\(found.pluginReference) can do none of: \(kinds.map(\.rawValue).joined(separator: ", "))")
            }
            guard wait else {
                // A job of its kind already waiting is joined rather than queued again.
                let jobs = queued.map { "job \($0)" }.joined(separator: ", ")
                return print("\(integration): \(jobs) due now; `cryptoconnect serve` runs them.")
            }
            defer { engine.supervisor.shutdown() }
            let waited = try engine.runUntilFinished(
                queued, integration: integration, owner: "cli-\(getpid())", watchesSignals: true)
            for job in waited.jobs {
                print(
                    "\(job.kind.rawValue) job \(job.id): \(job.state.rawValue)\(job.error.map { " (\($0))" } ?? "") \(job.stats?.serialized() ?? "")"
                )
            }
            if let stopped = waited.stopped {
                let left = waited.jobs.filter { $0.state == .queued || $0.state == .running }.count
                throw CLIError("\(stopped)\nStopped waiting; \(left) of its job(s) stay queued.")
            }
            if waited.stillRetrying {
                let left = waited.jobs.filter { $0.state == .queued }
                throw CLIError(
                    "\(left.count) job(s) still retrying after \(left.map(\.attempts).max() ?? 0) attempts"
                        + (left.first?.error.map { " (\($0))" } ?? "") + "; `serve` goes on with them")
            }
            if waited.interrupted {
                let left = waited.jobs.filter { $0.state == .queued || $0.state == .running }.count
                throw CLIError("stopped by a signal; \(left) job(s) went back to the queue, for `serve` or another run")
            }
            if waited.failed { throw ExitCode(1) }
            // Jobs that ran to the end with records the target refused, or pulled values validation refused: not a
            // clean run, so a script sees it.
            let refused = waited.jobs.reduce(0) { $0 + ($1.stats?["dead_lettered"]?.intValue ?? 0) }
            let unenriched = waited.jobs.reduce(0) { $0 + ($1.stats?["enrichments_refused"]?.intValue ?? 0) }
            guard refused + unenriched == 0 else {
                let parts = [
                    refused > 0
                        ? "\(refused) record(s) refused by the target (`cryptoconnect dlq list --integration \(integration)`)"
                        : nil,
                    unenriched > 0 ? "\(unenriched) pulled value(s) refused by validation (see the job's errors)" : nil,
                ]
                throw CLIError(parts.compactMap { $0 }.joined(separator: "; "))
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per integration: status, last sync, success rate, records synced today, latency, errors.")

        @OptionGroup var options: EngineOptions
        @Option var tenant: String?
        @Flag var json = false

        func run() throws {
            let engine = try options.engine(loadPlugins: false)
            if let tenant { try InventoryCommand.requireTenant(tenant, in: engine.store) }
            let statuses = try engine.status(tenant: tenant)
            if json { return print(JSON.array(statuses.map(\.json)).prettyPrinted()) }
            guard !statuses.isEmpty else { return print("No integrations.") }
            print(statuses.map(StatusBox.render).joined(separator: "\n"))
        }
    }

    struct Jobs: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent jobs of an integration (or all).")
        @OptionGroup var host: HostOptions
        @Argument var integration: String?
        @Option(help: "How many of the latest jobs to list (at least 1).") var limit = 20

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1, not \(limit)") }
        }

        func run() throws {
            let store = try host.openExistingStore()
            if let integration { try InventoryCommand.requireIntegration(integration, in: store) }
            let queue = JobQueue(store: store)
            let jobs = try queue.jobs(integration: integration, limit: limit)
            guard !jobs.isEmpty else {
                print(integration.map { "No jobs for \($0)." } ?? "No jobs.")
                return
            }
            // A job left running by a killed process is not running: it waits for the next host.
            let orphaned = try queue.orphanedJobs()
            print(
                Console.table(
                    ["ID", "INTEGRATION", "KIND", "TRIGGER", "STATE", "ATTEMPTS", "FINISHED", "STATS / ERROR"],
                    jobs.map {
                        [
                            "\($0.id)", $0.integration, $0.kind.rawValue, $0.trigger.rawValue,
                            orphaned.contains($0.id)
                                ? "running (its process is gone; resumes at the next start)"
                                : $0.state.rawValue,
                            "\($0.attempts)", $0.finishedAt ?? "-", $0.error ?? $0.stats?.serialized() ?? "",
                        ]
                    }))
        }
    }
}

/// The product document's "Integration Metrics" box.
enum StatusBox {
    /// `text` in lines of at most `width` columns, broken between words (a word longer than that is cut), the
    /// lines after the first indented.
    static func wrapped(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            var word = Substring(word)
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = "  "
            }
            while line.count + word.count > width {  // a word longer than a line
                let room = width - line.count
                lines.append(line + word.prefix(room))
                word = word.dropFirst(room)
                line = "  "
            }
            line += (line.isEmpty || line == "  " ? "" : " ") + word
        }
        if !line.trimmingCharacters(in: .whitespaces).isEmpty { lines.append(line) }
        return lines
    }

    static func render(_ status: IntegrationStatus) -> String {
        let icon =
            ["healthy": "🟢", "degraded": "🟡", "failing": "🔴", "paused": "⏸", "disabled": "⚪"][status.health] ?? "?"
        let paused = status.integration.pausedReason
        var lines = [
            "Integration: \(status.integration.id) (\(status.integration.pluginReference), tenant \(status.integration.tenant))"
        ]
        lines += wrapped("Status: \(icon) \(status.health.capitalized)\(paused.map { ": \($0)" } ?? "")", width: 96)
        lines += [
            "Last Sync: \(status.lastSync.map(relative) ?? "never")",
            "Success Rate: \(status.successRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-") (last 24h)",
            "Records Synced: \(status.recordsSyncedToday.formatted()) today",
            "Avg Latency: \(status.averageLatencyMilliseconds.map { String(format: "%.0fms", $0) } ?? "-")",
            "Errors: \(status.openErrors) open (\(status.resolvedErrors) resolved"
                + (status.discardedErrors > 0 ? ", \(status.discardedErrors) discarded)" : ")"),
        ]
        if let next = status.integration.nextScheduledRun(after: Date()) {
            lines.append("Next Run: \(ISODates.dateTime(next)) (\(status.integration.schedule ?? ""))")
        }
        if status.queuedJobs > 0 { lines.append("Queued Jobs: \(status.queuedJobs)") }
        // Not the pause's reason again (the job it refused carries it).
        if let error = status.lastError, status.health != "healthy", paused.map(error.hasSuffix) != true {
            lines += wrapped("Last Error: " + error, width: 96)  // whole, over as many lines as it takes
        }
        let width = max(60, lines.map(columns).max()! + 2)
        let rule = String(repeating: "─", count: width)
        func row(_ line: String) -> String {
            "│ " + line + String(repeating: " ", count: width - 1 - columns(line)) + "│"
        }
        var box = ["┌\(rule)┐", row(lines[0]), "├\(rule)┤"]
        box += lines.dropFirst().map(row)
        box.append("└\(rule)┘")
        return box.joined(separator: "\n")
    }

    /// The columns a terminal gives `text`: emoji such as 🟢 take two, so the box's right edge stays straight.
    static func columns(_ text: String) -> Int {
        text.reduce(0) { $0 + ($1.unicodeScalars.first?.properties.isEmojiPresentation == true ? 2 : 1) }
    }

    static func relative(_ timestamp: String) -> String {
        guard let date = try? Date(timestamp, strategy: .iso8601) else { return timestamp }
        let seconds = Int(Date().timeIntervalSince(date))
        func ago(_ count: Int, _ unit: String) -> String { "\(count) \(unit)\(count == 1 ? "" : "s") ago" }
        switch seconds {
        case ..<60: return ago(max(0, seconds), "second")
        case ..<3600: return ago(seconds / 60, "minute")
        case ..<86_400: return ago(seconds / 3600, "hour")
        default: return ago(seconds / 86_400, "day")
        }
    }
}
