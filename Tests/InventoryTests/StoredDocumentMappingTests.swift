import Foundation
import Inventory
import JSONCore
import Testing

/// A push maps documents as the store keeps them, reading only the mapping's fields from the bytes: what it writes,
/// and when it must send a record again, are what the whole document gives.
@Suite struct StoredDocumentMappingTests {
    let now = InventoryFixture.now

    func stored(_ document: JSON, discoveredAt: String? = "2026-11-25T08:00:00Z") -> StoredDocument {
        StoredDocument(bytes: document.serializedBytes(), discoveredAt: discoveredAt)
    }

    /// The written fields, from the bytes and from the whole document; nil for a refused record, with its problems.
    func written(_ mapping: FieldMapping, _ document: StoredDocument) -> (bytes: String, whole: String) {
        func write(_ body: (inout [UInt8]) throws -> Void) -> String {
            var output: [UInt8] = []
            do { try body(&output) } catch { return "refused: \(error)" }
            return String(decoding: output, as: UTF8.self)
        }
        return (
            write { try mapping.write(document, now: now, to: &$0) },
            write { try mapping.write(document.json, now: now, to: &$0) }
        )
    }

    @Test func writesWhatTheWholeDocumentGives() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "name", "transform": "uppercase"],
            ["source_field": "crypto_implementation.risk_score", "target_field": "risk", "transform": "scale_to_100"],
            ["source_field": "crypto_implementation.compliance_status.pci_dss", "target_field": "pci"],
            [
                "source_field": "certificate.expiration_date", "target_field": "days",
                "transform": "date_to_days_remaining",
            ],
            ["source_field": "discovered_at", "target_field": "seen", "transform": "iso_date"],
            ["source_field": "asset.serial_number", "target_field": "serial"],  // absent: left out
            ["source_field": "extensions.cmdb.owner", "target_field": "owner"],
            // The Kelvin sign is canonically `K`: the document's dictionary finds `Key` under it.
            ["source_field": "extensions.\u{212A}ey", "target_field": "kelvin"],
        ])
        var withDottedName = record().objectValue!
        withDottedName["extensions"] = ["cmdb.owner": "ops"]  // only the whole document settles it
        var refused = record().objectValue!
        refused["asset"] = ["hostname": 5]
        let documents = [
            stored(record()), stored(record(risk: 9, expires: "2026-12-01")), stored(.object(withDottedName)),
            stored(record(), discoveredAt: nil), stored(.object(refused)),
            StoredDocument(bytes: Array("[1, 2]".utf8), discoveredAt: "2026-11-25T08:00:00Z"),
            StoredDocument(bytes: Array(#"{"asset": "#.utf8), discoveredAt: nil),
            stored(["asset": ["hostname": "web01"], "extensions": ["Key": "v"]]),
            // Not JSON deep in a member the mapping does not read: the whole document is refused, so nothing maps.
            StoredDocument(
                bytes: Array(#"{"asset": {"hostname": "web01"}, "source": {"x": "\q"}}"#.utf8), discoveredAt: nil),
        ]
        for document in documents {
            let (bytes, whole) = written(mapping, document)
            #expect(bytes == whole)
            #expect(
                mapping.nextChange(of: document, after: now) == mapping.nextChange(of: document.json, after: now))
        }
        #expect(written(mapping, documents[0]).bytes.contains(#""seen":"2026-11-25""#))
        #expect(written(mapping, documents[2]).bytes.contains(#""owner":"ops""#))
        #expect(written(mapping, documents[4]).bytes.hasPrefix("refused: asset.hostname → name: uppercase needs"))
        #expect(mapping.nextChange(of: documents[1], after: now) != nil)
        #expect(written(mapping, documents[7]).bytes.contains(#""kelvin":"v""#))
        #expect(written(mapping, documents[8]).bytes == "{}")
    }

    /// A field forwarded as it is goes as the stored bytes write it, which are what writing the parsed value gives:
    /// escapes and characters beyond ASCII, numbers of each kind, booleans; a null or a missing field is left out,
    /// an object or array is written in canonical order, and `discovered_at` comes from beside the bytes.
    @Test func aFieldForwardedAsItIsIsWhatTheWholeDocumentGives() throws {
        let fields = ["text", "number", "negative", "fraction", "large", "yes", "nothing", "object", "list", "absent"]
        let mapping = try FieldMapping(
            json: .array(
                fields.map { ["source_field": .string("extensions.\($0)"), "target_field": .string($0)] }
                    + [["source_field": "discovered_at", "target_field": "seen"]]))
        let document = stored([
            "asset": ["hostname": "web01"],
            "extensions": [
                "text": "a \"quoted\" back\\slash, tab\t, line\n, control \u{01}, é, 🔐, </script>",
                "number": 2048, "negative": -17, "fraction": 0.125, "large": 1.5e300, "yes": true, "nothing": nil,
                "object": ["z": 1, "a": ["b": false]], "list": [3, "two", nil],
            ],
        ])
        let (bytes, whole) = written(mapping, document)
        #expect(bytes == whole)
        #expect(!bytes.contains("nothing") && !bytes.contains("absent"))
        #expect(bytes.contains(#""seen":"2026-11-25T08:00:00Z""#))
        #expect(written(mapping, stored(["asset": ["hostname": "web01"]], discoveredAt: nil)).bytes == "{}")
    }

    /// A `format` step names any field of the record: such a mapping reads the whole document.
    @Test func aTemplateReadsTheWholeDocument() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "endpoint", "transform": #"format("{value}:{port}")"#]
        ])
        let (bytes, whole) = written(mapping, stored(record(port: 8443)))
        #expect(bytes == whole && bytes == #"{"endpoint":"web01.example.com:8443"}"#)
    }
}
