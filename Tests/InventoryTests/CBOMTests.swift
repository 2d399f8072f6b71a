import Foundation
import Inventory
import JSONCore
import TestSupport
import Testing

/// CycloneDX 1.6 CBOMs: one made by cyclonedx-python-lib (Tests/Fixtures/cbom/make_cbom.py), one hand-written.
@Suite struct CBOMTests {
    @Test func importsTLSSSHAndCertificatesFromRealTooling() throws {
        let fixture = try InventoryFixture()
        let report = try fixture.ingestor.ingest(
            file: PackagePaths.fixture("cbom/estate.cdx.json"), tenant: "t", format: .cbom)
        #expect(report.counts.inserted == 2)
        #expect(
            report.notices == [
                "components[0] (bom-ref algo-md5): algorithm \"MD5\" is not linked to a protocol of a host; not imported"
            ])
        let records = try fixture.repository.list(tenant: "t")
        let web = try #require(records.first { $0.document[path: "asset.hostname"] == "web01.example.com" }).document
        #expect(web[path: "asset.ip_address"] == "10.20.0.11")
        #expect(web[path: "asset.environment"] == "production")
        #expect(web[path: "crypto_implementation.protocol"] == "TLS")
        #expect(web[path: "crypto_implementation.protocol_version"] == "1.2")
        #expect(web[path: "crypto_implementation.port"] == 443)
        #expect(web[path: "crypto_implementation.cipher_suite"] == "TLS_RSA_WITH_3DES_EDE_CBC_SHA")
        #expect(web[path: "crypto_implementation.key_size"] == 2048)
        #expect(web[path: "certificate.common_name"] == "web01.example.com")
        #expect(web[path: "certificate.issuer"] == "CN=Example Issuing CA 2, O=Example Corp")
        #expect(web[path: "certificate.expiration_date"] == "2026-12-20T00:00:00Z")
        #expect(web[path: "certificate.key_algorithm"] == "RSA")
        #expect(web[path: "certificate.signature_algorithm"] == "SHA256withRSA")
        let ssh = try #require(records.first { $0.document[path: "asset.hostname"] == "bastion01.example.com" })
            .document
        #expect(ssh[path: "crypto_implementation.protocol"] == "SSH")
        #expect(ssh[path: "crypto_implementation.port"] == 22)
        #expect(try fixture.events().contains { $0.hasPrefix("alert:") })  // the 3DES suite
    }

    @Test func ipsecUnknownProtocolsAndOrphansAreReported() throws {
        let fixture = try InventoryFixture()
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": ["component": ["type": "device", "name": "vpn-gw01", "bom-ref": "gw"]],
            "components": [
                [
                    "type": "cryptographic-asset", "bom-ref": "ike", "name": "IKEv2",
                    "cryptoProperties": [
                        "assetType": "protocol",
                        "protocolProperties": [
                            "type": "ike", "version": "2",
                            "cipherSuites": [["name": "ENCR_AES_CBC_256-PRF_HMAC_SHA2_256-MODP1024"]],
                        ],
                    ],
                ],
                [
                    "type": "cryptographic-asset", "bom-ref": "wpa", "name": "WPA2",
                    "cryptoProperties": ["assetType": "protocol", "protocolProperties": ["type": "wpa"]],
                ],
                [
                    "type": "cryptographic-asset", "bom-ref": "lost-cert", "name": "old",
                    "cryptoProperties": [
                        "assetType": "certificate", "certificateProperties": ["subjectName": "CN=old"],
                    ],
                ],
            ],
            "dependencies": [["ref": "gw", "dependsOn": ["ike", "wpa"]]],
        ]
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("vpn.json", cbom.serialized()), tenant: "t")
        #expect(report.format == .cbom)
        #expect(report.counts.inserted == 1)
        let record = try #require(try fixture.repository.list(tenant: "t").first).document
        #expect(record[path: "crypto_implementation.protocol"] == "IPSec")
        #expect(record[path: "asset.hostname"] == "vpn-gw01")
        #expect(
            report.notices.contains {
                $0.contains("components[1] (bom-ref wpa): protocol type \"wpa\" is not TLS, SSH or IPsec")
            })
        #expect(report.notices.contains { $0.contains("bom-ref lost-cert): certificate \"old\" is not linked") })
        #expect(
            try fixture.repository.events(tenant: "t").contains {
                $0.event.detail["reasons"]?.serialized().contains("1024-bit DH group") == true
            })
    }

    @Test func aDocumentThatIsNotCycloneDXIsRefused() throws {
        let fixture = try InventoryFixture()
        let path = fixture.folder.file("x.json", #"{"bomFormat": "SPDX"}"#)
        #expect { _ = try fixture.ingestor.ingest(file: path, tenant: "t", format: .cbom) } throws: {
            "\($0)".contains("is not a CycloneDX document")
        }
    }
}
