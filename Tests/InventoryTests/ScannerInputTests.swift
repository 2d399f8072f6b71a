import Foundation
import Inventory
import JSONCore
import TestSupport
import Testing

/// What scanners write that the schema's first reading got wrong: protocol names of the TLS and IPsec families, key
/// algorithms as X.509 names them, clocks years ahead, and names that are no names.
@Suite struct ScannerInputTests {
    let now = ISODates.parse("2026-11-27T00:00:00Z")!

    func validated(_ crypto: JSON, asset: JSON = ["hostname": "web01"], extra: [String: JSON] = [:]) -> Validation {
        var raw: [String: JSON] = ["asset": asset, "crypto_implementation": crypto]
        raw.merge(extra) { _, new in new }
        return RecordValidator(ingestedAt: now).validate(.object(raw), at: "line 1")
    }

    func problems(_ validation: Validation) -> [String] {
        if case .invalid(let problems) = validation { return problems.map(\.description) }
        return []
    }

    /// SSL is TLS's family at an SSL version (which alerts), unless a TLS version is given; IKE is IPsec, at the
    /// IKE version it names unless one is given.
    @Test(
        arguments: [
            ("SSLv3", nil, "TLS", "SSLv3"), ("ssl", "3.0", "TLS", "SSLv3.0"), ("SSL2", nil, "TLS", "SSLv2"),
            ("SSL", "TLSv1.2", "TLS", "TLSv1.2"), ("SSL", "1.2", "TLS", "1.2"), ("IKEv2", nil, "IPSec", "IKEv2"),
            ("ikev1", nil, "IPSec", "IKEv1"), ("IKE", nil, "IPSec", nil), ("IKEv2", "2", "IPSec", "2"),
        ] as [(String, String?, String, String?)])
    func protocolFamilies(named: String, version: String?, stored: String, storedVersion: String?) throws {
        var crypto: [String: JSON] = ["protocol": .string(named), "port": 443]
        if let version { crypto["protocol_version"] = .string(version) }
        guard case .valid(let record) = validated(.object(crypto)) else {
            Issue.record("\(named) refused")
            return
        }
        #expect(record.protocolName == stored)
        #expect(record.protocolVersion == storedVersion)
        // SSL/TLS as a whole with a TLS version is that TLS version, not an obsolete SSL.
        let obsolete = CryptoWeaknesses.of(record).contains { $0.critical && $0.reason.contains("is obsolete") }
        #expect(obsolete == (storedVersion?.hasPrefix("SSL") == true))
    }

    @Test func keyAlgorithmsAsX509NamesThem() throws {
        guard
            case .valid(let record) = validated(
                ["protocol": "TLS", "port": 443, "key_size": 1024],
                extra: ["certificate": ["key_algorithm": "rsaEncryption"]])
        else { throw Refused() }
        #expect(record.keyAlgorithm == "RSA")
        #expect(CryptoWeaknesses.of(record).map(\.reason) == ["RSA key of 1024 bits is below 2048"])
    }

    struct Refused: Error {}

    /// MD2 and SHA-1 signatures by name or OID, RC2 and IDEA suites: weak however written.
    @Test func weakSignaturesAndSuitesHoweverWritten() throws {
        for signature in ["md2WithRSAEncryption", "1.2.840.113549.1.1.5"] {
            guard
                case .valid(let record) = validated(
                    ["protocol": "TLS"], extra: ["certificate": ["signature_algorithm": .string(signature)]])
            else { throw Refused() }
            #expect(CryptoWeaknesses.of(record).map(\.reason) == ["certificate signed with \(signature)"])
        }
        #expect(CryptoWeaknesses.weakCipher("RC2-CBC-MD5") != nil)
        #expect(CryptoWeaknesses.weakCipher("TLS_RSA_WITH_IDEA_CBC_SHA") == "uses a 64-bit block cipher")
        #expect(CryptoWeaknesses.weakCipher("1.2.840.113549.1.1.11") == nil)  // sha256WithRSAEncryption's OID
    }

    /// A discovery time more than a day ahead is refused: stored, it would make every later scan look older.
    @Test func aDiscoveryTimeInTheFutureIsRefused() {
        #expect(
            problems(validated(["protocol": "TLS"], extra: ["discovered_at": "2062-11-26T00:00:00Z"])) == [
                "line 1: discovered_at: is in the future (2062-11-26T00:00:00Z); the scanner's clock or the date is wrong"
            ])
        #expect(problems(validated(["protocol": "TLS"], extra: ["discovered_at": "2026-11-27T12:00:00Z"])).isEmpty)
    }

    @Test(
        arguments: [
            (["hostname": "-.."], "asset.hostname: must be a host name"),
            (["hostname": "web01..example.com"], "asset.hostname: must be a host name"),
            (["hostname": "web01", "mac_address": "zz001a2b3c4d5e"], "asset.mac_address: must be a MAC address"),
            (
                ["hostname": "web01", "mac_address": "\u{FF10}\u{FF10}:11:22:33:44:55"],
                "asset.mac_address: must be a MAC address"
            ),
            (
                ["hostname": "web\u{202E}01"],
                "asset.hostname: must not contain control characters (found a bidirectional override)"
            ),
            (
                ["hostname": "web01", "id": "a\u{9B}b"],
                "asset.id: must not contain control characters (found U+009B, a C1 control character)"
            ),
        ] as [(JSON, String)])
    func namesThatAreNoNames(asset: JSON, message: String) {
        let found = problems(validated(["protocol": "TLS"], asset: asset))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("line 1: " + message) == true, "\(found)")
    }

    /// A scanner's XML or CSV export given by mistake is named as not JSON, not as "a number".
    @Test(arguments: [
        (
            "scan.nessus", "<?xml version=\"1.0\"?>\n<NessusClientData_v2/>\n",
            "is not JSON (it begins with '<', as XML and HTML do)"
        ),
        ("scan.csv", "host,port\nweb01,443\n", "is not JSON (it begins with 'h')"),
    ])
    func otherFormatsAreNamedAsNotJSON(name: String, content: String, message: String) throws {
        let fixture = try InventoryFixture()
        let path = fixture.folder.file(name, content)
        #expect { _ = try fixture.ingestor.ingest(file: path, tenant: "t") } throws: {
            "\($0)".contains("\(path): \(message)")
        }
    }

    /// A record without a discovery time updates the stored one but keeps its time, so an older dated export
    /// imported afterwards is still known as older.
    @Test func anUndatedUpdateKeepsTheStoredDiscoveryTime() throws {
        let fixture = try InventoryFixture()
        func scan(_ version: String, at time: String?) -> JSON {
            var record: [String: JSON] = [
                "asset": ["hostname": "web01"],
                "crypto_implementation": ["protocol": "TLS", "port": 443, "protocol_version": .string(version)],
            ]
            if let time { record["discovered_at"] = .string(time) }
            return .object(record)
        }
        _ = try fixture.ingestor.ingest(records: [scan("1.3", at: "2026-11-25T00:00:00Z")], tenant: "t")
        _ = try fixture.ingestor.ingest(records: [scan("1.2", at: nil)], tenant: "t")
        let older = try fixture.ingestor.ingest(records: [scan("1.0", at: "2025-01-01T00:00:00Z")], tenant: "t")
        #expect(older.counts.older == 1)
        let stored = try #require(try fixture.repository.list(tenant: "t").first)
        #expect(stored.document[path: "crypto_implementation.protocol_version"] == "1.2")
    }

    /// Offered suites and extensions (pushed to a CMDB through a mapping) hold no control characters either.
    @Test func suitesAndExtensionsHoldNoControlCharacters() {
        #expect(
            problems(validated(["protocol": "TLS", "cipher_suites": ["TLS_AES_128_GCM_SHA256", "bad\u{7}"]])) == [
                "line 1: crypto_implementation.cipher_suites[1]: must not contain control characters (found byte 0x7)"
            ])
        #expect(
            problems(validated(["protocol": "TLS"], extra: ["extensions": ["cmdb": ["owner": "ops\u{202E}"]]])) == [
                "line 1: extensions.cmdb.owner: must not contain control characters (found a bidirectional override)"
            ])
    }

    @Test func aNumberTooLargeToHoldSaysSo() {
        #expect(
            problems(validated(["protocol": "TLS", "key_size": .number(.infinity)])) == [
                "line 1: crypto_implementation.key_size: must be a positive integer, got a number too large to hold"
            ])
    }
}
