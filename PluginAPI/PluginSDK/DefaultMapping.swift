import JSONCore

/// A connector's default field mapping, in the product document's form, from the target's field names: every
/// connector maps the standard schema the same way (identity fields as they are, the risk score scaled to 100, the
/// protocol as "TLS 1.2", the certificate expiry as a date or as days remaining). Nil leaves a field unmapped.
public struct DefaultMapping: Sendable {
    public var hostname: String?
    /// The table written when the target has several (ServiceNow's CI class).
    public var hostnameTable: String?
    public var ipAddress: String?
    public var serialNumber: String?
    public var riskScore: String?
    public var protocolAndVersion: String?
    public var weakestCipher: String?
    public var keySize: String?
    public var certificateExpiry: String?
    /// `iso_date` (the date) or `date_to_days_remaining`.
    public var certificateExpiryTransform: String

    public init(
        hostname: String? = nil, hostnameTable: String? = nil, ipAddress: String? = nil, serialNumber: String? = nil,
        riskScore: String? = nil, protocolAndVersion: String? = nil, weakestCipher: String? = nil,
        keySize: String? = nil, certificateExpiry: String? = nil, certificateExpiryTransform: String = "iso_date"
    ) {
        self.hostname = hostname
        self.hostnameTable = hostnameTable
        self.ipAddress = ipAddress
        self.serialNumber = serialNumber
        self.riskScore = riskScore
        self.protocolAndVersion = protocolAndVersion
        self.weakestCipher = weakestCipher
        self.keySize = keySize
        self.certificateExpiry = certificateExpiry
        self.certificateExpiryTransform = certificateExpiryTransform
    }

    public var json: JSON {
        var entries: [JSON] = []
        func map(_ source: String, to target: String?, transform: String? = nil, table: String? = nil) {
            guard let target else { return }
            var entry: [String: JSON] = ["source_field": .string(source), "target_field": .string(target)]
            if let transform { entry["transform"] = .string(transform) }
            if let table { entry["target_table"] = .string(table) }
            entries.append(.object(entry))
        }
        map("asset.hostname", to: hostname, table: hostnameTable)
        map("asset.ip_address", to: ipAddress)
        map("asset.serial_number", to: serialNumber)
        map("crypto_implementation.risk_score", to: riskScore, transform: "scale_to_100")
        map(
            "crypto_implementation.protocol", to: protocolAndVersion,
            transform: #"format("{crypto_implementation.protocol} {crypto_implementation.protocol_version?}")"#)
        map("crypto_implementation.cipher_suite", to: weakestCipher)
        map("crypto_implementation.key_size", to: keySize)
        map("certificate.expiration_date", to: certificateExpiry, transform: certificateExpiryTransform)
        // An ITAM system holds one item per host: a host's endpoints go as one, its riskiest.
        return ["one_item_per": "asset", "mapping": .array(entries)]
    }
}
