/// Weak configurations an alert names: protocol versions, key sizes, signatures and cipher suites that current
/// guidance (NIST SP 800-52r2, RFC 8996, BSI TR-02102) says to retire.
public enum CryptoWeaknesses {
    public static func of(_ record: InventoryRecord) -> [String] {
        var found: [String] = []
        let version = record.protocolVersion?.lowercased() ?? ""
        switch record.protocolName {
        case "TLS":
            let bare = version.replacingOccurrences(of: "tlsv", with: "").replacingOccurrences(of: "tls", with: "")
                .trimmingCharacters(in: .whitespaces)
            if version.hasPrefix("ssl") {
                found.append("\(record.protocolVersion!) is obsolete (use TLS 1.2 or later)")
            } else if let number = Double(bare), number < 1.2 {
                found.append("TLS \(bare) is below TLS 1.2")
            }
        case "SSH":
            let bare = version.replacingOccurrences(of: "ssh-", with: "").replacingOccurrences(of: "ssh", with: "")
            if bare.hasPrefix("1") { found.append("SSH protocol version 1 (\(record.protocolVersion!))") }
        default:
            break
        }
        if let size = record.keySize {
            let algorithm = record.document[path: "certificate.key_algorithm"]?.stringValue?.uppercased() ?? ""
            let elliptic = algorithm.contains("EC") || algorithm.contains("ED25519") || algorithm.contains("ED448")
            if elliptic {
                if size < 224 { found.append("\(algorithm) key of \(size) bits is below 224") }
            } else if size < 2048 && (algorithm.contains("RSA") || algorithm.contains("DSA") || algorithm.contains("DH") || size > 521) {
                found.append("\(algorithm.isEmpty ? "RSA" : algorithm) key of \(size) bits is below 2048")
            }
        }
        if let signature = record.document[path: "certificate.signature_algorithm"]?.stringValue?.lowercased(),
            signature.contains("sha1") || signature.contains("sha-1") || signature.contains("md5")
        {
            found.append("certificate signed with \(record.document[path: "certificate.signature_algorithm"]!.stringValue!)")
        }
        let suites = [record.cipherSuite].compactMap { $0 }
            + (record.document[path: "crypto_implementation.cipher_suites"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for suite in Set(suites).sorted() {
            if let reason = weakCipher(suite) { found.append("cipher suite \(suite) \(reason)") }
        }
        return found
    }

    /// Why a cipher suite (TLS, SSH or IPsec notation) is weak, or nil.
    public static func weakCipher(_ suite: String) -> String? {
        let name = suite.uppercased()
        let rules: [(String, String)] = [
            ("RC4", "uses RC4"), ("ARCFOUR", "uses RC4"), ("3DES", "uses 3DES (Sweet32)"), ("DES-CBC3", "uses 3DES (Sweet32)"),
            ("_DES_", "uses DES"), ("DES-CBC", "uses DES"), ("NULL", "has no encryption"), ("EXPORT", "is an export cipher"),
            ("_ANON_", "has no authentication"), ("ADH", "has no authentication"), ("AECDH", "has no authentication"),
            ("MD5", "uses MD5"), ("BLOWFISH", "uses a 64-bit block cipher"), ("MODP768", "uses a 768-bit DH group"),
            ("MODP1024", "uses a 1024-bit DH group"),
        ]
        return rules.first { name.contains($0.0) }?.1
    }
}
