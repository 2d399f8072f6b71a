/// The fields of the standard crypto schema, by dotted path, with their types: what a mapping may read.
public enum StandardSchema {
    public static let fields: [String: String] = [
        "asset.id": "string", "asset.hostname": "string", "asset.ip_address": "string", "asset.environment": "string",
        "asset.serial_number": "string", "asset.mac_address": "string",
        "crypto_implementation.protocol": "string", "crypto_implementation.protocol_version": "string",
        "crypto_implementation.cipher_suite": "string", "crypto_implementation.cipher_suites": "array",
        "crypto_implementation.key_size": "integer", "crypto_implementation.risk_score": "number",
        "crypto_implementation.compliance_status": "object", "crypto_implementation.port": "integer",
        "certificate.common_name": "string", "certificate.expiration_date": "iso_date", "certificate.issuer": "string",
        "certificate.key_algorithm": "string", "certificate.serial_number": "string",
        "certificate.fingerprint_sha256": "string", "certificate.signature_algorithm": "string",
        "discovered_at": "iso_date", "source": "string",
    ]

    /// Whether a mapping may read `path`: a schema field, a framework of `compliance_status`, or `extensions.*`.
    public static func allows(_ path: String) -> Bool {
        fields[path] != nil || path.hasPrefix("extensions.")
            || path.hasPrefix("crypto_implementation.compliance_status.")
    }
}
