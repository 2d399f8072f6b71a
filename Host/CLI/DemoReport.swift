import Foundation
import Inventory
import JSONCore
import Sandbox
import SyncEngine

/// The demo's lines: what each job did and what landed in each simulated system.
enum DemoReport {
    static func ingestLine(_ report: IngestReport) -> String {
        "\((report.file as NSString).lastPathComponent) (\(report.format.rawValue)): \(report.summary)"
    }

    static func jobLine(_ job: Job) -> String {
        let stats = job.stats ?? [:]
        let count = { (key: String) in stats[key]?.intValue ?? 0 }
        let detail =
            job.kind == .pull
            ? "pulled \(count("pulled")), correlated with the inventory \(count("correlated"))"
            : "pushed \(count("pushed")), acknowledged \(count("acknowledged")), dead-lettered "
                + "\(count("dead_lettered")), to retry \(count("retry_later"))"
        let duration = String(format: "%.2f s", Double(count("duration_ms")) / 1000)
        let error = job.error.map { ": \($0.prefix(120))" } ?? ""
        return "\(job.integration): \(job.state.rawValue) in \(duration), \(count("calls")) calls, \(detail)\(error)"
    }

    static func landed(_ summary: SimulatorSummary) -> String {
        var lines = [
            "  \(summary.name): \(summary.withCryptoContext) of \(summary.records) \(summary.label) carry crypto context"
        ]
        if !summary.example.isEmpty {
            lines.append(
                "    e.g. \(summary.exampleName ?? ""): "
                    + summary.example.map { "\($0.field)=\($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
