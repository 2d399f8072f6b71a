/// Weak configurations an alert names: protocol versions, key sizes, signatures and cipher suites that current
/// guidance (NIST SP 800-52r2, RFC 8996, BSI TR-02102) says to retire.
public enum CryptoWeaknesses {
    /// A weakness in words; critical ones (no encryption, an obsolete protocol) make an alert critical.
    public struct Weakness: Sendable, Equatable {
        public let reason: String
        public let critical: Bool
    }

    public static func of(_ record: InventoryRecord) -> [Weakness] {
        var found: [Weakness] = []
        if let version = record.protocolVersion {
            let lowered = version.lowercased()
            switch record.protocolName {
            case "TLS":
                let bare = stripping(["tlsv", "tls ", "tls"], from: lowered)
                if lowered.hasPrefix("ssl") {
                    found.append(Weakness(reason: "\(version) is obsolete (use TLS 1.2 or later)", critical: true))
                } else if let number = Double(bare), number < 1.2 {
                    found.append(Weakness(reason: "TLS \(bare) is below TLS 1.2", critical: false))
                }
            case "SSH":
                if stripping(["ssh-", "sshv", "ssh"], from: lowered).hasPrefix("1") {
                    found.append(Weakness(reason: "SSH protocol version 1 (\(version))", critical: false))
                }
            default:
                break
            }
        }
        if let size = record.keySize {
            let algorithm = record.keyAlgorithm?.uppercased() ?? ""
            let elliptic = algorithm.hasPrefix("EC") || algorithm.hasPrefix("ED")
            if elliptic {
                if size < 224 {
                    found.append(Weakness(reason: "\(algorithm) key of \(size) bits is below 224", critical: false))
                }
            } else if size < 2048
                && (algorithm.hasPrefix("RSA") || algorithm.hasPrefix("DSA") || algorithm.hasPrefix("DH")
                    || (algorithm.isEmpty && size > 521))
            {
                let name = algorithm.isEmpty ? "RSA" : algorithm
                found.append(Weakness(reason: "\(name) key of \(size) bits is below 2048", critical: false))
            }
        }
        if let signature = record.signatureAlgorithm {
            let bytes = Array(signature.uppercased().utf8)
            if contains(bytes, Array("SHA1".utf8)) || contains(bytes, Array("SHA-1".utf8))
                || contains(bytes, Array("MD5".utf8))
            {
                found.append(Weakness(reason: "certificate signed with \(signature)", critical: false))
            }
        }
        var seen: Set<String> = []
        for suite in [record.cipherSuite].compactMap({ $0 }) + record.cipherSuites where seen.insert(suite).inserted {
            if let reason = weakCipher(suite) {
                found.append(Weakness(reason: "cipher suite \(suite) \(reason)", critical: reason == noEncryption))
            }
        }
        return found
    }

    private static func stripping(_ prefixes: [String], from text: String) -> Substring {
        for prefix in prefixes where text.hasPrefix(prefix) { return text.dropFirst(prefix.count) }
        return Substring(text)
    }

    /// Why a cipher suite (TLS, SSH or IPsec notation) is weak, or nil.
    public static func weakCipher(_ suite: String) -> String? {
        let name = Array(suite.uppercased().utf8)
        return cipherRules.first { contains(name, $0.0) }?.1
    }

    /// Byte-wise substring search: suite names are short ASCII, and `String.contains` is far slower.
    private static func contains(_ text: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard text.count >= pattern.count else { return false }
        outer: for start in 0...(text.count - pattern.count) {
            for offset in 0..<pattern.count where text[start + offset] != pattern[offset] { continue outer }
            return true
        }
        return false
    }

    private static let noEncryption = "has no encryption"

    private static let cipherRules: [([UInt8], String)] = {
        let rules: [(String, String)] = [
            ("RC4", "uses RC4"), ("ARCFOUR", "uses RC4"), ("3DES", "uses 3DES (Sweet32)"),
            ("DES-CBC3", "uses 3DES (Sweet32)"),
            ("_DES_", "uses DES"), ("DES-CBC", "uses DES"), ("NULL", noEncryption),
            ("EXPORT", "is an export cipher"),
            ("_ANON_", "has no authentication"), ("ADH", "has no authentication"), ("AECDH", "has no authentication"),
            ("MD5", "uses MD5"), ("BLOWFISH", "uses a 64-bit block cipher"), ("MODP768", "uses a 768-bit DH group"),
            ("MODP1024", "uses a 1024-bit DH group"),
        ]
        return rules.map { (Array($0.0.utf8), $0.1) }
    }()
}
