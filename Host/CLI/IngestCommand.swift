import ArgumentParser
import Foundation
import Inventory
import JSONCore
import Store
import SyncEngine

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest crypto inventory (JSON, NDJSON or a CycloneDX 1.6 CBOM) into a tenant's store.",
        discussion: """
            Bad records are rejected with their field paths and never stop the good ones; a file that cannot be read
            as a whole (truncated, wrong top level, binary) changes nothing. NDJSON is streamed.
            """)

    @OptionGroup var host: HostOptions
    @Argument(help: "The file to ingest.") var file: String
    @Option(help: "Tenant whose inventory receives the records.") var tenant = "default"
    @Option(help: "json, ndjson, cbom or auto.") var format: String = "auto"
    @Option(
        name: .customLong("expiry-window-days"),
        help: "Certificates expiring within this many days raise certificate_expiry.")
    var expiryWindow = 30
    @Option(name: .customLong("risk-threshold"), help: "Risk scores (0-10) at or above this raise an alert.")
    var riskThreshold = 7.0
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard IngestFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be json, ndjson, cbom or auto; got \"\(format)\"")
        }
        guard Names.isValid(tenant) else {
            throw ValidationError("tenant \"\(tenant)\" must be 1-64 letters, digits, '-' or '_'")
        }
        // Out of range, every record would alert, or none ever could: a typo, not a policy.
        guard (0...10).contains(riskThreshold) else {
            throw ValidationError("--risk-threshold must be a risk score from 0 to 10; got \(riskThreshold)")
        }
        guard (0...3650).contains(expiryWindow) else {
            throw ValidationError("--expiry-window-days must be from 0 to 3650 days; got \(expiryWindow)")
        }
    }

    func run() throws {
        let store = try host.openStore()
        let ingestor = Ingestor(
            store: store, rules: EventRules(expiryWindowDays: expiryWindow, riskThreshold: riskThreshold))
        let report: IngestReport
        do {
            report = try ingestor.ingest(file: file, tenant: tenant, format: IngestFormat(rawValue: format)!)
        } catch let error as IngestError {
            // A script that asked for JSON reads the failure as JSON too (the text still goes to stderr).
            if json {
                print(
                    JSON(["file": .string(file), "error": .string(error.description), "ingested": false])
                        .prettyPrinted())
            }
            throw CLIError(error.description)
        }
        // A mistyped tenant shows at once: the ingest added it.
        if json {
            var output = report.json.objectValue ?? [:]
            output["new_tenant"] = .bool(report.newTenant)
            print(JSON.object(output).prettyPrinted())
        } else {
            if report.newTenant { print("New tenant \(tenant): added (see `cryptoconnect tenants list`).") }
            print("\(report.file) (\(report.format.rawValue)) into tenant \(report.tenant): \(report.summary)")
            for rejection in report.rejections.prefix(200) { print("rejected \(rejection)") }
            if report.rejections.count > 200 {
                print("… and \(report.rejections.count - 200) more (use --json for all)")
            }
            for notice in report.notices { print("not imported: \(notice)") }
        }
        // Some rejections are the data's; all of them mean the wrong file (or format): scripts should notice.
        if report.counts.rejected > 0, report.counts.rejected == report.counts.received {
            throw CLIError("\(report.file): every record was rejected; is it the right file and --format?")
        }
    }
}
