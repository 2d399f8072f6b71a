import Foundation
import Inventory
import JSONCore
import TestSupport
import Testing

/// CBOMs shaped as tools write them: a device running an application that holds the protocol, a timestamp older than
/// the store's scan, references that lead nowhere or twice, and endpoints listed as services.
@Suite struct CBOMStructureTests {
    static func protocolComponent(_ reference: String, version: String, port: Int = 443) -> JSON {
        [
            "type": "cryptographic-asset", "bom-ref": .string(reference), "name": .string(reference),
            "properties": [["name": "port", "value": .string(String(port))]],
            "cryptoProperties": [
                "assetType": "protocol", "protocolProperties": ["type": "tls", "version": .string(version)],
            ],
        ]
    }

    /// The device is the host of the protocol its application holds, not the application (`nginx`).
    @Test func aProtocolOfAnApplicationOnADeviceIsTheDevicesRecord() throws {
        let fixture = try InventoryFixture()
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": ["component": ["type": "device", "name": "web09.example.com", "bom-ref": "web09"]],
            "components": [
                ["type": "application", "name": "nginx", "bom-ref": "nginx"],
                Self.protocolComponent("tls", version: "1.2"),
            ],
            "dependencies": [["ref": "web09", "dependsOn": ["nginx"]], ["ref": "nginx", "dependsOn": ["tls"]]],
        ]
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("app.json", cbom.serialized()), tenant: "t")
        #expect(report.counts.inserted == 1)
        #expect(report.notices.isEmpty, "\(report.notices)")
        let record = try #require(try fixture.repository.list(tenant: "t").first).document
        #expect(record[path: "asset.hostname"] == "web09.example.com")
    }

    /// A CBOM of one host lists its protocols without a dependency on them: they are the metadata component's.
    @Test func protocolsNothingLinksBelongToTheBOMsSubject() throws {
        let fixture = try InventoryFixture()
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": ["component": ["type": "device", "name": "edge01.example.com", "bom-ref": "edge01"]],
            "components": [Self.protocolComponent("tls", version: "1.2")],
        ]
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("one.json", cbom.serialized()), tenant: "t")
        #expect(report.counts.inserted == 1, "\(report.notices)")
        let record = try #require(try fixture.repository.list(tenant: "t").first).document
        #expect(record[path: "asset.hostname"] == "edge01.example.com")
    }

    /// Only a device has parts: an application that depends on another application names two hosts, each with its
    /// own endpoint.
    @Test func anApplicationThatDependsOnAnotherIsNoPartOfIt() throws {
        let fixture = try InventoryFixture()
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [
                ["type": "application", "name": "app01.example.com", "bom-ref": "app01"],
                ["type": "application", "name": "db01.example.com", "bom-ref": "db01"],
                Self.protocolComponent("web-tls", version: "1.3"),
                Self.protocolComponent("db-tls", version: "1.2", port: 5432),
            ],
            "dependencies": [
                ["ref": "app01", "dependsOn": ["db01", "web-tls"]], ["ref": "db01", "dependsOn": ["db-tls"]],
            ],
        ]
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("apps.json", cbom.serialized()), tenant: "t")
        #expect(report.counts.inserted == 2, "\(report.notices)")
        let hosts = try fixture.repository.list(tenant: "t").map {
            "\($0.document[path: "asset.hostname"]?.stringValue ?? "?"):\($0.document[path: "crypto_implementation.port"]?.intValue ?? 0)"
        }
        #expect(Set(hosts) == ["app01.example.com:443", "db01.example.com:5432"])
    }

    /// A CBOM made before the scan the store holds does not roll the record back: its timestamp is when its
    /// endpoints were seen.
    @Test func anOlderCBOMDoesNotRollBackANewerScan() throws {
        let fixture = try InventoryFixture()
        _ = try fixture.ingestor.ingest(
            records: [
                [
                    "asset": ["hostname": "web01.example.com"],
                    "crypto_implementation": ["protocol": "TLS", "protocol_version": "1.3", "port": 443],
                    "discovered_at": "2026-11-25T00:00:00Z",
                ]
            ], tenant: "t")
        let old: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": [
                "timestamp": "2025-01-01T00:00:00Z",
                "component": ["type": "device", "name": "web01.example.com", "bom-ref": "web"],
            ],
            "components": [Self.protocolComponent("tls", version: "1.0")],
            "dependencies": [["ref": "web", "dependsOn": ["tls"]]],
        ]
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("old.json", old.serialized()), tenant: "t")
        #expect(report.counts.older == 1)
        let record = try #require(try fixture.repository.list(tenant: "t").first).document
        #expect(record[path: "crypto_implementation.protocol_version"] == "1.3")
        // A timestamp written loosely is named, once, and the records come without a discovery time.
        guard case .object(var loose) = old, case .object(var metadata) = loose["metadata"] else { return }
        metadata["timestamp"] = "2025-05-01 12:00"
        loose["metadata"] = .object(metadata)
        let looseReport = try fixture.ingestor.ingest(
            file: fixture.folder.file("loose.json", JSON.object(loose).serialized()), tenant: "t")
        #expect(looseReport.counts.rejected == 0)
        #expect(
            looseReport.notices.contains {
                $0.contains("metadata.timestamp \"2025-05-01 12:00\" is not an ISO 8601 date")
            })
    }

    /// Every reference that leads nowhere, a bom-ref given twice and services are named, not passed over.
    @Test func referencesThatLeadNowhereAreNamed() throws {
        let fixture = try InventoryFixture()
        var tls = Self.protocolComponent("tls", version: "1.2").objectValue!
        tls["cryptoProperties"] = [
            "assetType": "protocol",
            "protocolProperties": [
                "type": "tls", "version": "1.2",
                "cipherSuites": [["name": "TLS_AES_128_GCM_SHA256", "algorithms": ["ghost-algo"]]],
                "cryptoRefArray": ["cert"],
            ],
        ]
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": ["component": ["type": "device", "name": "web01.example.com", "bom-ref": "web"]],
            "components": [
                .object(tls),
                [
                    "type": "cryptographic-asset", "bom-ref": "cert", "name": "web01",
                    "cryptoProperties": [
                        "assetType": "certificate",
                        "certificateProperties": [
                            "subjectName": "CN=web01.example.com", "signatureAlgorithmRef": "ghost-sig",
                        ],
                    ],
                ],
                ["type": "device", "name": "dupe.example.com", "bom-ref": "web"],
            ],
            "dependencies": [["ref": "web", "dependsOn": ["tls"]], ["ref": "ghost", "dependsOn": ["tls"]]],
            "services": [["name": "https", "endpoints": ["https://web01.example.com"]]],
        ]
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("refs.json", cbom.serialized()), tenant: "t")
        #expect(report.counts.inserted == 1)
        for expected in [
            "components[2]: bom-ref \"web\" is also metadata.component (bom-ref web)'s",
            "dependencies[1]: \"ghost\" is no component's bom-ref", "signatureAlgorithmRef names \"ghost-sig\"",
            "names algorithm \"ghost-algo\"", "services: 1 service(s) not imported",
        ] {
            #expect(report.notices.contains { $0.contains(expected) }, "\(expected) in \(report.notices)")
        }
    }
}
