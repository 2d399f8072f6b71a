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
        if let signature = record.signatureAlgorithm,
            withUppercasedASCII(signature, { name in weakSignatures.contains { contains(name, $0) } })
        {
            found.append(Weakness(reason: "certificate signed with \(signature)", critical: false))
        }
        // The negotiated suite, then the offered ones; a suite named twice is reported once.
        func check(_ suite: String) {
            guard let reason = weakCipher(suite) else { return }
            found.append(Weakness(reason: "cipher suite \(suite) \(reason)", critical: reason == noEncryption))
        }
        if let suite = record.cipherSuite { check(suite) }
        let offered = record.cipherSuites
        for (position, suite) in offered.enumerated()
        where suite != record.cipherSuite && !offered[..<position].contains(suite) {
            check(suite)
        }
        return found
    }

    private static func stripping(_ prefixes: [String], from text: String) -> Substring {
        for prefix in prefixes where text.hasPrefix(prefix) { return text.dropFirst(prefix.count) }
        return Substring(text)
    }

    /// Why a cipher suite (TLS, SSH or IPsec notation) is weak, or nil.
    public static func weakCipher(_ suite: String) -> String? {
        withUppercasedASCII(suite) { name in cipherRules.first { contains(name, $0.0) }?.1 }
    }

    /// Runs `body` with the text's bytes, ASCII letters upper-cased, in a buffer on the stack: every record's suite
    /// and signature are checked, and `uppercased()` plus an array cost two allocations each time. Algorithm and
    /// suite names are ASCII.
    private static func withUppercasedASCII<Result>(
        _ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.utf8.count) { buffer in
            _ = buffer.initialize(from: text.utf8.lazy.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 })
            return body(UnsafeBufferPointer(buffer))
        }
    }

    private static let weakSignatures = ["SHA1", "SHA-1", "MD5"].map { Array($0.utf8) }

    /// Byte-wise substring search: suite names are short ASCII, and `String.contains` is far slower.
    private static func contains(_ text: UnsafeBufferPointer<UInt8>, _ pattern: [UInt8]) -> Bool {
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
