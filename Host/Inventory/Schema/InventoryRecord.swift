import Crypto
import Foundation
import JSONCore

/// One validated record of the standard crypto schema: a cryptographic implementation (TLS, SSH or IPsec) on an
/// asset, with its certificate when there is one. `document` is normalised (canonical case and formats), so equal
/// facts always serialise to equal bytes and hash to the same content hash.
public struct InventoryRecord: Sendable, Equatable {
    public let document: JSON
    /// `hostname-or-ip|protocol|port`: a re-ingested record with the same key updates rather than duplicates.
    public let naturalKey: String
    /// A short stable id derived from the natural key, for `inventory show`.
    public let id: String
    /// SHA-256 of the canonical document without `discovered_at` (a rescan that finds nothing new is unchanged).
    public let contentHash: String

    init(document: JSON) {
        self.document = document
        let asset = document["asset"]
        let crypto = document["crypto_implementation"]
        let host = asset?["hostname"]?.stringValue ?? asset?["ip_address"]?.stringValue ?? "-"
        let port = crypto?["port"]?.intValue.map(String.init) ?? "-"
        naturalKey = "\(host)|\(crypto?["protocol"]?.stringValue ?? "-")|\(port)"
        id = Self.hex(SHA256.hash(data: Data(naturalKey.utf8)).prefix(8))
        var hashed = document.objectValue ?? [:]
        hashed["discovered_at"] = nil
        contentHash = Self.hex(SHA256.hash(data: JSON.object(hashed).serializedBytes()).prefix(16))
    }

    public var hostname: String? { document[path: "asset.hostname"]?.stringValue }
    public var ipAddress: String? { document[path: "asset.ip_address"]?.stringValue }
    public var environment: String? { document[path: "asset.environment"]?.stringValue }
    public var serialNumber: String? { document[path: "asset.serial_number"]?.stringValue }
    public var macAddress: String? { document[path: "asset.mac_address"]?.stringValue }
    public var protocolName: String? { document[path: "crypto_implementation.protocol"]?.stringValue }
    public var protocolVersion: String? { document[path: "crypto_implementation.protocol_version"]?.stringValue }
    public var cipherSuite: String? { document[path: "crypto_implementation.cipher_suite"]?.stringValue }
    public var port: Int? { document[path: "crypto_implementation.port"]?.intValue }
    public var keySize: Int? { document[path: "crypto_implementation.key_size"]?.intValue }
    public var riskScore: Double? { document[path: "crypto_implementation.risk_score"]?.doubleValue }
    public var certificateExpiry: String? { document[path: "certificate.expiration_date"]?.stringValue }

    /// The overall compliance: `non_compliant` if any framework says so, else `compliant` if any does, else unknown.
    public var complianceSummary: String? {
        guard let statuses = document[path: "crypto_implementation.compliance_status"]?.objectValue else { return nil }
        let values = Set(statuses.values.compactMap(\.stringValue))
        if values.contains("non_compliant") { return "non_compliant" }
        if values.contains("compliant") { return "compliant" }
        return values.isEmpty ? nil : "unknown"
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            text.append(Character(Unicode.Scalar(hexDigits[Int(byte >> 4)])))
            text.append(Character(Unicode.Scalar(hexDigits[Int(byte & 0x0F)])))
        }
        return text
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
