import Foundation
import JSONCore
import TestSupport
import Testing

/// `ingest`, `inventory` and `mapping` as a user runs them.
@Suite struct InventoryCommandTests {
    let folder = TemporaryDirectory("inventory-cli")

    /// `--db estate.sqlite` means a file in the current directory (there is no folder to create).
    @Test func aBareDatabaseFileNameIsCreatedInTheCurrentDirectory() throws {
        let file = folder.file("estate.ndjson", record().serialized())
        let ingested = try Command.cryptoconnect(
            ["ingest", file, "--tenant", "acme", "--db", "estate.sqlite"], currentDirectory: folder.path)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/estate.sqlite"))
    }

    @Test func ingestReportsCountsAndRejectionsThenInventoryShowsTheRecords() throws {
        let file = folder.file(
            "estate.ndjson",
            [
                record().serialized(),
                #"{"asset":{"hostname":"x"},"crypto_implementation":{"protocol":"TLS","key_size":-1}}"#,
            ].joined(separator: "\n"))
        let ingested = try Command.cryptoconnect([
            "ingest", file, "--tenant", "acme", "--data-dir", folder.path, "--json",
        ])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let report = try JSON.parse(ingested.stdout)
        #expect(report["inserted"] == 1)
        #expect(report["rejected"] == 1)
        #expect(report["rejections"]?[0]?["location"] == "line 2: crypto_implementation.key_size")

        let listed = try Command.cryptoconnect([
            "inventory", "list", "--tenant", "acme", "--data-dir", folder.path, "--json",
        ])
        let id = try #require(try JSON.parse(listed.stdout)[0]?["id"]?.stringValue)
        let shown = try JSON.parse(
            try Command.cryptoconnect(["inventory", "show", id, "--tenant", "acme", "--data-dir", folder.path]).stdout)
        #expect(shown["record"]?[path: "asset.hostname"] == "web01.example.com")
        #expect(shown["events"]?[0]?["type"] == "discovery")
        let other = try Command.cryptoconnect([
            "inventory", "show", id, "--tenant", "globex", "--data-dir", folder.path,
        ])
        #expect(other.status != 0)
        #expect(other.stderr.contains("no tenant globex (tenants: acme)"))  // a typo, not an empty inventory
        let upper = try Command.cryptoconnect([
            "inventory", "show", id.uppercased(), "--tenant", "acme", "--data-dir", folder.path,
        ])
        #expect(upper.status == 0, "\(upper.stderr)")
    }

    /// A format given by hand that does not fit the file says which the file looks like.
    @Test func aWrongFormatSaysWhichTheFileLooksLike() throws {
        let lines = [record(host: "a"), record(host: "b")].map { $0.serialized() }.joined(separator: "\n")
        let file = folder.file("scan.ndjson", lines)
        let result = try Command.cryptoconnect(["ingest", file, "--data-dir", folder.path, "--format", "json"])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("it reads as NDJSON, one record per line: give --format ndjson (or auto)"),
            "\(result.stderr)")
        let preview = try Command.cryptoconnect([
            "mapping", "apply", "--mapping",
            folder.file("m.json", #"[{"source_field": "asset.hostname", "target_field": "n"}]"#),
            "--input", folder.path + "/missing.json",
        ])
        #expect(preview.stderr.contains("--input \(folder.path)/missing.json: cannot be read"))
        #expect(!preview.stderr.contains("ingested"))  // a preview ingests nothing anyway
    }

    /// A threshold outside the scale would make every record alert, or none ever: refused, naming the option.
    @Test func eventThresholdsOutOfRangeAreRefused() throws {
        let file = folder.file("one.json", JSON.array([record()]).serialized())
        for (option, value, message) in [
            ("--risk-threshold", "-1", "--risk-threshold must be a risk score from 0 to 10; got -1.0"),
            ("--risk-threshold", "nan", "--risk-threshold must be a risk score from 0 to 10; got nan"),
            ("--expiry-window-days", "-5", "--expiry-window-days must be from 0 to 3650 days; got -5"),
        ] {
            let result = try Command.cryptoconnect(["ingest", file, "--data-dir", folder.path, "\(option)=\(value)"])
            #expect(result.status != 0)
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
    }

    @Test func malformedFileIsOneClearError() throws {
        let file = folder.file("broken.json", #"[{"asset": {"hostname": "a"}"#)
        let asJSON = try Command.cryptoconnect(["ingest", file, "--data-dir", folder.path, "--json"])
        #expect(asJSON.status != 0)
        #expect(try JSON.parse(asJSON.stdout)["ingested"] == false)  // a script that asked for JSON gets JSON
        let result = try Command.cryptoconnect(["ingest", file, "--data-dir", folder.path])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains(
                "\(file): line 1, column 29: unexpected end of input inside an object (the file is not valid JSON); nothing was ingested"
            ))
    }

    @Test func mappingValidateAndApply() throws {
        let mapping = folder.file(
            "servicenow.json",
            """
            [{"source_field": "asset.hostname", "target_field": "u_hostname", "target_table": "cmdb_ci_server"},
             {"source_field": "crypto_implementation.risk_score", "target_field": "u_crypto_risk_score", "transform": "scale_to_100"}]
            """)
        let valid = try Command.cryptoconnect(["mapping", "validate", mapping])
        #expect(valid.stdout.contains("2 fields, valid"))
        #expect(!valid.stdout.contains("One item per asset"))
        let perAsset = folder.file(
            "per-asset.json",
            #"{"one_item_per": "asset", "mapping": [{"source_field": "asset.hostname", "target_field": "name"}]}"#)
        #expect(
            try Command.cryptoconnect(["mapping", "validate", perAsset]).stdout.contains(
                "One item per asset: a host's records are pushed as one, made of its riskiest record."))
        let wrongUnit = folder.file(
            "wrong-unit.json",
            #"{"one_item_per": "host", "mapping": [{"source_field": "asset.hostname", "target_field": "name"}]}"#)
        #expect(
            try Command.cryptoconnect(["mapping", "validate", wrongUnit]).stderr.contains(
                #"one_item_per: must be "asset" (the target holds one item per host) or "record", got "host""#))
        let input = folder.file("records.json", JSON.array([record(risk: 6)]).serialized())
        let applied = try Command.cryptoconnect(["mapping", "apply", "--mapping", mapping, "--input", input])
        #expect(
            try JSON.parse(applied.stdout) == [
                ["table": "cmdb_ci_server", "fields": ["u_hostname": "web01.example.com", "u_crypto_risk_score": 60]]
            ])

        let empty = folder.file("empty.json", "[]")
        #expect(
            try Command.cryptoconnect(["mapping", "validate", empty]).stderr.contains(
                "\(empty): mapping: has no entries; map at least one field"))
        let bad = folder.file("bad.json", #"[{"source_field": "asset.hostnam", "target_field": "x"}]"#)
        let refused = try Command.cryptoconnect(["mapping", "validate", bad])
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains(
                "\(bad): mapping[0].source_field: \"asset.hostnam\" is not a field of the standard crypto schema"))

        // A byte order mark, as some Windows editors write, is skipped as an ingest skips it.
        let marked = folder.file(
            "marked.json", Data([0xEF, 0xBB, 0xBF]) + (FileManager.default.contents(atPath: mapping) ?? Data()))
        #expect(try Command.cryptoconnect(["mapping", "validate", marked]).stdout.contains("2 fields, valid"))
        let broken = folder.file("broken.json", "[{")
        #expect(
            try Command.cryptoconnect(["mapping", "validate", broken]).stderr.contains("\(broken): line 1, column 3"))
    }

    /// The preview maps records as an ingest stores them (normalised; invalid ones refused with their place), read
    /// from any file `ingest` reads: CRLF lines under any name, a byte order mark.
    @Test func mappingApplyPreviewsWhatAPushWouldSend() throws {
        let mapping = folder.file(
            "m.json",
            """
            [{"source_field": "crypto_implementation.protocol", "target_field": "proto",
              "transform": "map({\\"TLS\\": \\"tls\\", \\"SSH\\": \\"ssh\\"})"},
             {"source_field": "asset.hostname", "target_field": "name"}]
            """)
        let lines = [
            #"{"asset": {"hostname": "WEB01.Example.com"}, "crypto_implementation": {"protocol": "tls"}}"#,
            #"{"asset": {"hostname": "x"}}"#,
        ]
        let input = folder.file("scan.txt", "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n")
        let applied = try Command.cryptoconnect(["mapping", "apply", "--mapping", mapping, "--input", input])
        #expect(try JSON.parse(applied.stdout) == [["fields": ["proto": "tls", "name": "web01.example.com"]]])
        #expect(applied.status == 1)
        #expect(applied.stderr.contains("rejected line 2: crypto_implementation: is required"), "\(applied.stderr)")
    }

    /// A mapping of one item per asset previews one item per host, as the push sends it: made of the riskiest
    /// record, named by the fullest-named one, crypto fields the riskiest lacks sent empty, listing what it stands for.
    @Test func mappingApplyPreviewsOneItemPerAsset() throws {
        let mapping = folder.file(
            "per-asset.json",
            """
            {"one_item_per": "asset", "mapping": [
              {"source_field": "asset.hostname", "target_field": "name"},
              {"source_field": "crypto_implementation.protocol", "target_field": "proto"},
              {"source_field": "certificate.expiration_date", "target_field": "expires"}]}
            """)
        guard
            case .object(var ssh) = record(host: "db01", port: 22, risk: 9).setting(
                path: "crypto_implementation.protocol", to: "SSH")
        else { return }
        ssh["certificate"] = nil
        let input = folder.file(
            "estate.json",
            JSON.array([record(host: "db01.example.com", risk: 3), .object(ssh), record(host: "web01.example.com")])
                .serialized())
        let applied = try Command.cryptoconnect(["mapping", "apply", "--mapping", mapping, "--input", input])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(
            try JSON.parse(applied.stdout) == [
                [
                    "fields": ["name": "db01.example.com", "proto": "SSH", "expires": ""],
                    "records": ["db01|SSH|22", "db01.example.com|TLS|443"],
                ],
                [
                    "fields": ["name": "web01.example.com", "proto": "TLS", "expires": "2027-06-01"],
                    "records": ["web01.example.com|TLS|443"],
                ],
            ])
    }

    @Test func ingestReadsByteOrderMarksCRLFAndArraysUnderAnyName() throws {
        let db = folder.path + "/bom.sqlite"
        let ndjson = folder.file(
            "scan.log",
            "\u{FEFF}" + [record(host: "a"), record(host: "b")].map { $0.serialized() }.joined(separator: "\r\n"))
        let array = folder.file("pretty.ndjson", JSON.array([record(host: "c")]).prettyPrinted())
        for file in [ndjson, array] {
            let ingested = try Command.cryptoconnect(["ingest", file, "--db", db, "--json"])
            #expect(ingested.status == 0, "\(ingested.stderr)")
            #expect(try JSON.parse(ingested.stdout)["rejected"] == 0)
        }
        let everything = folder.file("wrong.ndjson", "hello\nworld\n")
        let refused = try Command.cryptoconnect(["ingest", everything, "--db", db])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("every record was rejected"), "\(refused.stderr)")
    }

    @Test func listsAndEventsAreFilteredByTheStoreAndSayWhenCut() throws {
        let db = folder.path + "/cut.sqlite"
        let file = folder.file(
            "three.json", JSON.array([record(host: "a"), record(host: "b"), record(host: "c", risk: 9)]).serialized())
        #expect(try Command.cryptoconnect(["ingest", file, "--db", db]).status == 0)
        let listed = try Command.cryptoconnect(["inventory", "list", "--db", db, "--limit", "2", "--json"])
        #expect(try JSON.parse(listed.stdout).arrayValue?.count == 2)
        #expect(listed.stderr.contains("Showing the first 2 records; --limit shows more."))
        // The alert comes after three discoveries: a type filter applied after a cut would find none.
        let alerts = try Command.cryptoconnect([
            "inventory", "events", "--db", db, "--type", "alert", "--limit", "1", "--json",
        ])
        #expect(try JSON.parse(alerts.stdout).arrayValue?.map { $0["type"] } == ["alert"])
        for command in ["list", "events"] {
            let none = try Command.cryptoconnect(["inventory", command, "--db", db, "--limit", "0"])
            #expect(none.stderr.contains("--limit must be at least 1, got 0"), "\(none.stderr)")
        }
        let bogus = try Command.cryptoconnect(["inventory", "events", "--db", db, "--type", "alerts"])
        #expect(bogus.status != 0)
        #expect(bogus.stderr.contains("--type must be one of discovery, compliance_change, certificate_expiry, alert"))
        // A mistyped store path is an error for every command that only reads, not a new empty store.
        let typo = folder.path + "/cut.sqlit"
        for command in [
            ["inventory", "list"], ["tenants", "list"], ["integrations", "list"], ["sync", "status"], ["sync", "jobs"],
            ["dlq", "list"],
        ] {
            let run = try Command.cryptoconnect(command + ["--db", typo])
            #expect(run.status != 0)
            #expect(run.stderr.contains("no store at \(typo); check --db or --data-dir"), "\(command): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: typo))
    }

    /// A tenant first named by an ingest is added, so it is listed and removable, and a mistyped name shows at once.
    @Test func anIngestIntoANewTenantAddsItAndSaysSo() throws {
        let db = folder.path + "/tenants.sqlite"
        let file = folder.file("one.json", JSON.array([record(host: "a")]).serialized())
        let first = try Command.cryptoconnect(["ingest", file, "--db", db, "--tenant", "acme-typo"])
        #expect(first.stdout.contains("New tenant acme-typo: added"), "\(first.stdout)")
        #expect(try Command.cryptoconnect(["tenants", "list", "--db", db]).stdout.contains("acme-typo"))
        let again = try Command.cryptoconnect(["ingest", file, "--db", db, "--tenant", "acme-typo", "--json"])
        #expect(try JSON.parse(again.stdout)["new_tenant"] == false)
        let unasked = try Command.cryptoconnect(["tenants", "remove", "acme-typo", "--db", db])
        #expect(unasked.status != 0)  // it holds a record: said, not lost
        #expect(
            unasked.stderr.contains(
                "tenant acme-typo holds 1 inventory record(s) and 0 integration(s), with their jobs, dead letters "
                    + "and secrets; add --yes to remove them all"), "\(unasked.stderr)")
        let removed = try Command.cryptoconnect(["tenants", "remove", "acme-typo", "--db", db, "--yes"])
        #expect(removed.stdout.contains("Removed tenant acme-typo and its 1 inventory record(s) and 0 integration(s)."))
        let left = try Command.cryptoconnect(["inventory", "list", "--db", db, "--tenant", "acme-typo", "--json"])
        #expect(left.stderr.contains("no tenant acme-typo"), "\(left.stderr)")  // its inventory went with it
    }
}
