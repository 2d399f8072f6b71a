import Crypto
import Foundation
import JSONCore

/// One validated record of the standard crypto schema: a cryptographic implementation (TLS, SSH or IPsec) on an
/// asset, with its certificate when there is one. `document` is normalised (canonical case and formats), so equal
/// facts always serialise to equal bytes and hash to the same content hash.
public struct InventoryRecord: Sendable, Equatable {
    public static func == (lhs: InventoryRecord, rhs: InventoryRecord) -> Bool {
        lhs.content == rhs.content && lhs.discoveredAt == rhs.discoveredAt
    }

    /// The normalised document. Kept as its canonical bytes: a record crosses threads during an ingest, and a
    /// parsed tree would cost more to free than to re-parse on the rare occasions it is needed.
    public var document: JSON {
        var fields = (try? JSON.parse(content))?.objectValue ?? [:]
        if let discoveredAt { fields["discovered_at"] = .string(discoveredAt) }
        return .object(fields)
    }
    /// `hostname-or-ip|protocol|port`: a re-ingested record with the same key updates rather than duplicates.
    public let naturalKey: String
    /// A short stable id derived from the natural key, for `inventory show`.
    public let id: String
    /// SHA-256 of the canonical content (a rescan that finds nothing new is unchanged).
    public let contentHash: String
    /// The canonical document without `discovered_at`, serialised once for both the hash and the store.
    let content: [UInt8]
    /// When the record was last seen: kept beside the content, so it does not count as a change.
    public let discoveredAt: String?

    // The fields the store, the events and correlation use, read out once.
    public let hostname: String?
    public let ipAddress: String?
    public let environment: String?
    public let serialNumber: String?
    public let macAddress: String?
    public let protocolName: String?
    public let protocolVersion: String?
    public let cipherSuite: String?
    public let cipherSuites: [String]
    public let port: Int?
    public let keySize: Int?
    public let riskScore: Double?
    public let certificateExpiry: String?
    public let keyAlgorithm: String?
    public let signatureAlgorithm: String?
    /// The overall compliance: `non_compliant` if any framework says so, else `compliant` if any does, else unknown.
    public let complianceSummary: String?

    /// A record from validated sections (each in key order), as `RecordValidator` builds it.
    init(
        asset: OrderedObject, crypto: OrderedObject, certificate: OrderedObject?, extensions: JSON?, source: JSON?,
        discoveredAt: String?
    ) {
        hostname = asset["hostname"]?.stringValue
        ipAddress = asset["ip_address"]?.stringValue
        environment = asset["environment"]?.stringValue
        serialNumber = asset["serial_number"]?.stringValue
        macAddress = asset["mac_address"]?.stringValue
        protocolName = crypto["protocol"]?.stringValue
        protocolVersion = crypto["protocol_version"]?.stringValue
        cipherSuite = crypto["cipher_suite"]?.stringValue
        cipherSuites = crypto["cipher_suites"]?.arrayValue?.compactMap(\.stringValue) ?? []
        port = crypto["port"]?.intValue
        keySize = crypto["key_size"]?.intValue
        riskScore = crypto["risk_score"]?.doubleValue
        certificateExpiry = certificate?["expiration_date"]?.stringValue
        keyAlgorithm = certificate?["key_algorithm"]?.stringValue
        signatureAlgorithm = certificate?["signature_algorithm"]?.stringValue
        if let statuses = crypto["compliance_status"]?.objectValue {
            let values = statuses.values.compactMap(\.stringValue)
            complianceSummary =
                values.contains("non_compliant")
                ? "non_compliant" : values.contains("compliant") ? "compliant" : values.isEmpty ? nil : "unknown"
        } else {
            complianceSummary = nil
        }
        self.discoveredAt = discoveredAt
        naturalKey = "\(hostname ?? ipAddress ?? "-")|\(protocolName ?? "-")|\(port.map(String.init) ?? "-")"
        id = Self.hex(SHA256.hash(data: Array(naturalKey.utf8)).prefix(8))
        // The canonical document, top-level keys in byte order: asset, certificate, crypto_implementation,
        // extensions, source (discovered_at lives beside it).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(640)
        bytes.append(contentsOf: #"{"asset":"#.utf8)
        asset.write(to: &bytes)
        if let certificate {
            bytes.append(contentsOf: #","certificate":"#.utf8)
            certificate.write(to: &bytes)
        }
        bytes.append(contentsOf: #","crypto_implementation":"#.utf8)
        crypto.write(to: &bytes)
        if let extensions {
            bytes.append(contentsOf: #","extensions":"#.utf8)
            extensions.write(to: &bytes)
        }
        if let source {
            bytes.append(contentsOf: #","source":"#.utf8)
            source.write(to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        content = bytes
        contentHash = Self.hex(SHA256.hash(data: content).prefix(16))
    }

    /// A stable identifier for content that has no key of its own: the first 16 bytes of its SHA-256, in hex.
    public static func digest(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes).prefix(16)) }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(32)
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A JSON object whose members are added in key order: cheap to build, and written without sorting.
struct OrderedObject {
    private struct Member {
        let key: String
        let value: JSON
    }

    private var members: [Member] = []

    init() { members.reserveCapacity(8) }

    /// Adds a member; nil adds nothing. Callers add keys in byte order.
    mutating func set(_ key: String, _ value: JSON?) {
        guard let value else { return }
        members.append(Member(key: key, value: value))
    }

    subscript(key: String) -> JSON? { members.first { $0.key == key }?.value }

    func write(to output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        for (index, member) in members.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSON.writeString(member.key, to: &output)
            output.append(UInt8(ascii: ":"))
            member.value.write(to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}
