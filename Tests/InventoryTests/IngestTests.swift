import Foundation
import Inventory
import JSONCore
import Store
import TestSupport
import Testing

@Suite struct IngestTests {
    @Test func reIngestUpdatesByNaturalKeyAndDetectsChanges() throws {
        let fixture = try InventoryFixture()
        let first = try fixture.ingestor.ingest(
            file: fixture.file("a.ndjson", [record(), record(host: "web02")]), tenant: "t")
        #expect(first.counts == counts(received: 2, inserted: 2, events: ["discovery": 2]))
        let again = try fixture.ingestor.ingest(
            file: fixture.file("b.ndjson", [record(), record(host: "web02", keySize: 4096)]), tenant: "t")
        // A changed key size is a configuration change, a target should show at once.
        #expect(again.counts == counts(received: 2, updated: 1, unchanged: 1, events: ["configuration_change": 1]))
        let change = try #require(try fixture.repository.events(tenant: "t", after: 0, limit: 10).last)
        #expect(change.event.kind == .configurationChange)
        #expect(change.event.detail["changed"] == ["crypto_implementation.key_size"])
        #expect(try fixture.repository.count(tenant: "t") == 2)
        let stored = try fixture.repository.list(tenant: "t", filter: try InventoryFilter(["hostname=web02"]))
        #expect(stored.first?.document[path: "crypto_implementation.key_size"] == 4096)
    }

    /// A configuration change is what changes how the endpoint is secured: a renewed certificate, a suite list
    /// changed as a set, a risk score that takes the record out of alert. Not a suite list in another order, nor a
    /// risk score a scanner recomputed a little: each raised an event, and a real-time push with it.
    @Test func aConfigurationChangeIsOneThatMatters() throws {
        let fixture = try InventoryFixture()
        func suites(_ list: [String], risk: Double = 3, expires: String = "2027-06-01") -> JSON {
            var document = record(expires: expires).objectValue!
            var crypto = document["crypto_implementation"]!.objectValue!
            crypto["cipher_suite"] = nil
            crypto["cipher_suites"] = JSON(list)
            crypto["risk_score"] = .number(risk)
            document["crypto_implementation"] = .object(crypto)
            return .object(document)
        }
        func events(_ document: JSON) throws -> [String: Int] {
            try fixture.ingestor.ingest(records: [document], tenant: "t").counts.events
        }
        let both = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
        _ = try events(suites(both))
        #expect(try events(suites(both.reversed())) == [:])
        #expect(try events(suites(both.reversed(), risk: 3.5)) == [:])
        #expect(try events(suites(both, risk: 3.5, expires: "2028-06-01")) == ["configuration_change": 1])
        let renewed = try #require(try fixture.repository.events(tenant: "t", after: 0, limit: 10).last)
        #expect(renewed.event.detail["changed"] == ["certificate.expiration_date"])
        #expect(
            try events(suites(["TLS_AES_256_GCM_SHA384"], risk: 3.5, expires: "2028-06-01")) == [
                "configuration_change": 1
            ])
        #expect(try events(suites(["TLS_AES_256_GCM_SHA384"], risk: 9, expires: "2028-06-01")) == ["alert": 1])
        #expect(
            try events(suites(["TLS_AES_256_GCM_SHA384"], risk: 2, expires: "2028-06-01")) == [
                "configuration_change": 1
            ])
        let fixed = try #require(try fixture.repository.events(tenant: "t", after: 0, limit: 10).last)
        #expect(fixed.event.detail["changed"] == ["crypto_implementation.risk_score"])
    }

    /// Lines are validated on several threads but applied in file order: a later line with the same key updates the
    /// earlier one, in the same batch or many batches later, on a tenant's first load and on a later one.
    @Test(arguments: [false, true])
    func aKeyRepeatedInOneFileIsAppliedInFileOrder(tenantHasRecords: Bool) throws {
        let fixture = try InventoryFixture()
        if tenantHasRecords { _ = try fixture.ingestor.ingest(records: [record(host: "other01")], tenant: "t") }
        let filler = (0..<1_500).map { record(host: "filler\($0)") }
        let lines =
            [record(), record(), record(keySize: 4096)] + filler + [record(keySize: 3072), record(keySize: 3072)]
        let report = try fixture.ingestor.ingest(file: fixture.file("repeats.ndjson", lines), tenant: "t")
        #expect(report.counts.received == 1_505)
        #expect(report.counts.inserted == 1_501)
        #expect(report.counts.updated == 2)
        #expect(report.counts.unchanged == 2)
        // New records raise their events whether worked out beside validation (first load) or by the writer.
        #expect(report.counts.events["discovery"] == 1_501)
        #expect(try fixture.repository.count(tenant: "t") == 1_501 + (tenantHasRecords ? 1 : 0))
        let stored = try fixture.repository.list(
            tenant: "t", filter: try InventoryFilter(["hostname=web01.example.com"]))
        #expect(stored.map { $0.document[path: "crypto_implementation.key_size"] } == [3072])
    }

    /// A later line of the same file compares with the last-seen time an earlier line moved: seen before it, it is
    /// older and not applied, and the newest time stands.
    @Test func aRepeatedUnchangedRecordKeepsTheNewestSeenTime() throws {
        let fixture = try InventoryFixture()
        func seen(_ time: String) -> JSON {
            var seen = record().objectValue!
            seen["discovered_at"] = .string(time)
            return .object(seen)
        }
        _ = try fixture.ingestor.ingest(records: [seen("2026-11-01T00:00:00Z")], tenant: "t")
        let report = try fixture.ingestor.ingest(
            file: fixture.file("rescan.ndjson", [seen("2026-11-20T00:00:00Z"), seen("2026-11-01T00:00:00Z")]),
            tenant: "t")
        #expect(report.counts.unchanged == 1)
        #expect(report.counts.older == 1)
        #expect(try fixture.repository.list(tenant: "t").first?.document["discovered_at"] == "2026-11-20T00:00:00Z")
    }

    /// A record that names a field twice is refused, naming the field and where it repeats: keeping either value
    /// would lose the other without a word. In an NDJSON file it is that line's problem; in a JSON document, the
    /// file's, as for any element that does not parse.
    @Test func aRecordNamingAFieldTwiceIsRefusedWhereItRepeats() throws {
        let fixture = try InventoryFixture()
        let twice =
            #"{"asset": {"hostname": "web02", "hostname": "web03"}, "crypto_implementation": {"protocol": "TLS", "port": 443}}"#
        let lines = fixture.folder.file("twice.ndjson", [record().serialized(), twice].joined(separator: "\n"))
        let report = try fixture.ingestor.ingest(file: lines, tenant: "t")
        #expect(report.counts.inserted == 1)
        #expect(
            report.rejections.map(\.description) == [
                #"line 2: column 33: member name "hostname" appears twice in the same object: which value is meant is unclear"#
            ])

        let document = fixture.folder.file("twice.json", "[\n" + record().serialized() + ",\n  " + twice + "\n]")
        #expect {
            _ = try fixture.ingestor.ingest(file: document, tenant: "u")
        } throws: { error in
            "\(error)".contains(
                #"twice.json: line 3, column 35: member name "hostname" appears twice in the same object: which value is meant is unclear"#
            )
        }
        #expect(try fixture.repository.count(tenant: "u") == 0)
    }

    @Test func tenantsAreSeparate() throws {
        let fixture = try InventoryFixture()
        let file = fixture.file("a.ndjson", [record()])
        _ = try fixture.ingestor.ingest(file: file, tenant: "acme")
        let other = try fixture.ingestor.ingest(file: file, tenant: "globex")
        #expect(other.counts.inserted == 1)  // not "unchanged": acme's copy is not globex's
        #expect(try fixture.repository.count(tenant: "acme") == 1)
        #expect(try fixture.repository.count(tenant: "globex") == 1)
        #expect(try fixture.repository.list(tenant: "initech").isEmpty)
        #expect(try fixture.repository.events(tenant: "acme").count == 1)
    }

    /// A tenant's name goes into paths, URLs and logs: one that could not be added is refused before anything is read.
    @Test func aTenantNameThatCannotBeAddedIsRefused() throws {
        let fixture = try InventoryFixture()
        let file = fixture.file("a.ndjson", [record()])
        #expect { try fixture.ingestor.ingest(file: file, tenant: "acme/../x") } throws: {
            "\($0)".contains("tenant \"acme/../x\" must be 1-64 letters, digits, '-' or '_'")
        }
        #expect(try fixture.repository.count(tenant: "acme/../x") == 0)
    }

    @Test func badRecordsNeverStopGoodOnes() throws {
        let fixture = try InventoryFixture()
        let path = fixture.folder.file(
            "mixed.ndjson",
            [
                record().serialized(), "", "{\"asset\": ", record(host: "web02", port: 8443).serialized(), "[1,2]",
                record(host: "web03").serialized(),
            ].joined(separator: "\n"))  // no newline at the end
        let report = try fixture.ingestor.ingest(file: path, tenant: "t")
        #expect(report.format == .ndjson)
        #expect(report.counts == counts(received: 5, inserted: 3, rejected: 2, events: ["discovery": 3]))
        #expect(
            report.rejections.map(\.description) == [
                "line 3: is not valid JSON: column 11: unexpected end of input, expected a value",
                "line 5: must be an object, got array",
            ])
    }

    @Test func jsonArraysAndRecordsObjectsAreAccepted() throws {
        let fixture = try InventoryFixture()
        let array = fixture.folder.file("a.json", JSON.array([record(), ["asset": [:]]]).serialized())
        let report = try fixture.ingestor.ingest(file: array, tenant: "t")
        #expect(report.format == .json)
        #expect(report.counts.inserted == 1)
        #expect(report.rejections.map(\.description).first == "records[1].asset: needs a hostname or an ip_address")
        let document: JSON = ["records": [record(host: "x1")]]
        let wrapped = fixture.folder.file("b.json", document.serialized())
        #expect(try fixture.ingestor.ingest(file: wrapped, tenant: "t").counts.inserted == 1)
    }

    /// A JSON document streams like NDJSON: records whose bytes straddle the 1 MiB reads, strings holding brackets,
    /// quotes and commas, members before and after the records array; each record is named by its index.
    @Test func aLargeJSONDocumentStreamsRecordByRecord() throws {
        let fixture = try InventoryFixture()
        var records = (0..<3000).map { index -> JSON in
            var raw = record(host: "host\(index)").objectValue!
            raw["source"] = .string(
                "scanner \"eu-1\" [rack {\(index)}], row \\ \(String(repeating: "x", count: index % 700))")
            return .object(raw)
        }
        records[2999] = ["asset": [:]]
        let body = records.map { $0.serialized() }.joined(separator: ",\n  ")
        let text =
            "\u{FEFF}{\"generated\": {\"by\": \"scanner\", \"list\": [1, [2, {\"records\": 3}]]},\n \"records\": [\n  "
            + body + "\n ],\n \"summary\": {\"count\": 3000, \"note\": \"]}\"}\n}\n"
        #expect(text.utf8.count > 2 << 20)
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("big.json", text), tenant: "t")
        #expect(report.format == .json)
        #expect(report.counts.received == 3000)
        #expect(report.counts.inserted == 2999)
        #expect(
            report.rejections.map(\.description) == [
                "records[2999].asset: needs a hostname or an ip_address",
                "records[2999].crypto_implementation: is required",
            ])
        let stored = try fixture.repository.list(tenant: "t", filter: try InventoryFilter(["hostname=host1234"]))
        #expect(
            stored.first?.document["source"]?.stringValue?.hasPrefix("scanner \"eu-1\" [rack {1234}], row \\ ") == true)
    }

    /// What makes a document not JSON is found where it is, also deep into a streamed file, and nothing is
    /// ingested.
    @Test(arguments: [
        ("[{\"a\": 1}\n {\"b\": 2}]", "line 2, column 2: expected ',' or ']' after an array element"),
        ("[{\"a\": 1},\n]", "line 2, column 1: unexpected ']', expected a value"),
        ("[1, 2] x", "line 1, column 8: unexpected 'x' after the end of the document"),
        ("[{\"a\": 1},\n {\"b\": 2},\n {\"c\" 3}]", "line 3, column 7: expected ':' after member name \"c\""),
        ("{\"records\": [], \"x\": 1", "line 1, column 23: unexpected end of input inside an object"),
        ("{\"records\": [] \"x\": 1}", "line 1, column 16: expected ',' or '}' after an object member"),
        // The members around the records are as much the document as they are.
        ("{\"a\": @@, \"records\": []}", "line 1, column 7: unexpected '@', expected a value"),
        ("{\"records\": [],\n \"extra\": [1,,2]}", "line 2, column 14: unexpected ',', expected a value"),
        // The first fault in the file is its error, though the element holding it is parsed later than the reader
        // meets the second.
        ("[{\"asset\": @@},\n {\"b\": 1} x ]", "line 1, column 12: unexpected '@', expected a value"),
    ])
    func aMalformedDocumentIsFoundWhereItIs(text: String, message: String) throws {
        let fixture = try InventoryFixture()
        #expect {
            _ = try fixture.ingestor.ingest(file: fixture.folder.file("bad.json", text), tenant: "t")
        } throws: { "\($0)".contains(message + " (the file is not valid JSON)") }
        #expect(try fixture.repository.count(tenant: "t") == 0)
    }

    /// Two `"records"` arrays are one too many: which one a reader takes is anyone's guess.
    @Test func aSecondRecordsMemberIsRefused() throws {
        let fixture = try InventoryFixture()
        let text = "{\"records\": [\(record().serialized())],\n \"records\": [\(record(host: "b").serialized())]}"
        #expect {
            _ = try fixture.ingestor.ingest(file: fixture.folder.file("twice.json", text), tenant: "t")
        } throws: { "\($0)".contains("line 2, column 13: a second \"records\" member; give the records in one array") }
        #expect(try fixture.repository.count(tenant: "t") == 0)
    }

    /// An older export imported again does not roll the inventory back, nor raise alerts for what was fixed since;
    /// the report says how many records it kept as stored. A newer scan updates as always.
    @Test func anOlderScanDoesNotOverwriteANewerRecord() throws {
        let fixture = try InventoryFixture()
        func scan(_ seen: String, version: String, risk: Int) -> JSON {
            var raw = record(version: version, risk: risk).objectValue!
            raw["discovered_at"] = .string(seen)
            return .object(raw)
        }
        _ = try fixture.ingestor.ingest(records: [scan("2026-11-20T00:00:00Z", version: "1.3", risk: 1)], tenant: "t")
        let events = try fixture.events()
        let old = try fixture.ingestor.ingest(
            records: [scan("2026-06-01T00:00:00Z", version: "1.0", risk: 9)], tenant: "t")
        #expect(old.counts.older == 1)
        #expect(old.counts.updated == 0)
        #expect(old.summary.hasSuffix("; older than the stored records, not applied: 1"))
        #expect(try fixture.events() == events)
        #expect(
            try fixture.repository.list(tenant: "t").first?.document[path: "crypto_implementation.protocol_version"]
                == "1.3")

        let newer = try fixture.ingestor.ingest(
            records: [scan("2026-11-25T00:00:00Z", version: "1.2", risk: 1)], tenant: "t")
        #expect(newer.counts.updated == 1)
    }

    /// Elements are parsed on the validators' threads, a chunk at a time, yet a bad one deep in the file is still the
    /// file's one error, at its line and column, before a later fault in the document; nothing is ingested.
    @Test func aBadElementFarIntoADocumentIsTheFilesError() throws {
        let fixture = try InventoryFixture()
        var lines = (0..<2500).map { record(host: "host\($0)").serialized() }
        lines[1700] = #"{"asset": {"hostname": "h" "port": 1}}"#
        let text = "[\n" + lines.joined(separator: ",\n") + "\n] trailing"
        let path = fixture.folder.file("deep.json", text)
        #expect {
            _ = try fixture.ingestor.ingest(file: path, tenant: "t")
        } throws: { error in
            "\(error)".contains(
                "line 1702, column 28: expected ',' or '}' after an object member (the file is not valid JSON)")
        }
        #expect(try fixture.repository.count(tenant: "t") == 0)
    }

    @Test(arguments: [
        (
            "truncated.json", Data(#"{"records": [{"asset": {"hostname": "a"}}, {"asset""#.utf8),
            "the file is not valid JSON"
        ),
        ("string.json", Data(#""just a string""#.utf8), "the top level is a string"),
        ("object.json", Data(#"{"items": []}"#.utf8), "the top level is an object without a \"records\" array"),
        (
            "records.json", Data(#"{"records": {"a": 1}}"#.utf8),
            "\"records\" must be an array of records, got an object"
        ),
        ("binary.json", Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, 0x02]), "holds binary data"),
        (
            "binary.ndjson", Data((record().serialized() + "\n").utf8) + Data([0x00, 0xFF, 0x0A]),
            "holds binary data (a NUL byte at offset"
        ),
        ("empty.json", Data(), "is empty"),
    ])
    func malformedFilesChangeNothing(name: String, contents: Data, message: String) throws {
        let fixture = try InventoryFixture()
        _ = try fixture.ingestor.ingest(file: fixture.file("seed.ndjson", [record(host: "seed")]), tenant: "t")
        let before = try fixture.repository.list(tenant: "t")
        let eventsBefore = try fixture.events()
        let path = fixture.folder.file(name, contents)
        #expect {
            _ = try fixture.ingestor.ingest(
                file: path, tenant: "t", format: name.hasSuffix(".ndjson") ? .ndjson : .json)
        } throws: { error in
            let text = "\(error)"
            return text.contains(message) && text.hasPrefix(path) && text.hasSuffix("nothing was ingested")
        }
        #expect(try fixture.repository.list(tenant: "t") == before)
        #expect(try fixture.events() == eventsBefore)
    }

    @Test func aGoodNDJSONFileWithABinaryTailIsRolledBackWhole() throws {
        let fixture = try InventoryFixture()
        let lines = (0..<2500).map { record(host: "host\($0)").serialized() }.joined(separator: "\n")
        let path = fixture.folder.file("tail.ndjson", Data(lines.utf8) + Data([0x0A, 0x00]))
        #expect(throws: IngestError.self) { try fixture.ingestor.ingest(file: path, tenant: "t") }
        #expect(try fixture.repository.count(tenant: "t") == 0)  // the first 2000 were batched, then rolled back
    }

    @Test func formatIsDetected() throws {
        let fixture = try InventoryFixture()
        let ndjson = fixture.folder.file(
            "records.txt", record().serialized() + "\n" + record(host: "b").serialized() + "\n")
        #expect(try fixture.ingestor.ingest(file: ndjson, tenant: "t").format == .ndjson)
        let cbom = PackagePaths.fixture("cbom/estate.cdx.json")
        let copied = fixture.folder.copy(cbom, to: "estate.json")
        #expect(try fixture.ingestor.ingest(file: copied, tenant: "t").format == .cbom)
    }

    private func counts(
        received: Int, inserted: Int = 0, updated: Int = 0, unchanged: Int = 0, rejected: Int = 0,
        events: [String: Int] = [:]
    ) -> IngestCounts {
        var counts = IngestCounts()
        counts.received = received
        counts.inserted = inserted
        counts.updated = updated
        counts.unchanged = unchanged
        counts.rejected = rejected
        counts.events = events
        return counts
    }
}
