import Foundation
import Inventory
import JSONCore
import Store
import TestSupport

/// A fresh store in a temporary folder, with an ingestor whose clock is fixed at 2026-11-26.
struct InventoryFixture {
    static let now = ISODates.parse("2026-11-26T12:00:00Z")!
    let folder = TemporaryDirectory("inventory")
    let store: Store
    let ingestor: Ingestor
    var repository: InventoryRepository { ingestor.repository }

    init(rules: EventRules = EventRules()) throws {
        store = try Store(path: folder.path + "/cc.sqlite")
        ingestor = Ingestor(store: store, rules: rules, now: { InventoryFixture.now })
    }

    func file(_ name: String, _ lines: [JSON]) -> String {
        folder.file(name, lines.map { $0.serialized() }.joined(separator: "\n") + "\n")
    }

    func events(_ tenant: String = "t") throws -> [String] {
        try repository.events(tenant: tenant).map { "\($0.event.kind.rawValue):\($0.event.recordID)" }
    }
}

/// A valid record: a TLS endpoint on a production web server.
func record(
    host: String = "web01.example.com", port: Int = 443, version: String = "1.3",
    suite: String = "TLS_AES_256_GCM_SHA384",
    keySize: Int = 2048, risk: Int = 2, compliance: String = "compliant", expires: String = "2027-06-01",
    signature: String = "sha256WithRSAEncryption"
) -> JSON {
    [
        "asset": ["hostname": .string(host), "ip_address": "10.0.0.1", "environment": "production"],
        "crypto_implementation": [
            "protocol": "TLS", "protocol_version": .string(version), "cipher_suite": .string(suite),
            "key_size": JSON(keySize), "risk_score": JSON(risk), "port": JSON(port),
            "compliance_status": ["pci_dss": .string(compliance)],
        ],
        "certificate": [
            "common_name": .string(host), "expiration_date": .string(expires), "issuer": "CN=Example CA",
            "key_algorithm": "RSA", "signature_algorithm": .string(signature),
        ],
    ]
}
