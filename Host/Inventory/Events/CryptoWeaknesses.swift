/// Weak configurations an alert names: protocol versions, key sizes, signatures and cipher suites that current
/// guidance (NIST SP 800-52r2, RFC 8996, BSI TR-02102) says to retire.
public enum CryptoWeaknesses {
    /// A weakness in words; critical ones (no encryption, an obsolete protocol) make an alert critical.
    public struct Weakness: Sendable, Equatable {
        public let reason: String
        public let critical: Bool
        /// The score, when the weakness is a risk score at or above the threshold.
        public var riskScore: Double? = nil
    }

    public static func of(_ record: InventoryRecord) -> [Weakness] {
        var found: [Weakness] = []
        if let version = record.protocolVersion {
            let lowered = version.lowercased()
            switch record.protocolName {
            case "TLS":
                // `TLSv1.1`, `TLS v1.1`, `tls1_1`, `TLS_1_1`, `TLS-1.1`, `v1.1`: the number, written with a dot.
                let number = ProtocolVersion.normalised(version)
                if lowered.hasPrefix("ssl") {
                    found.append(Weakness(reason: "\(version) is obsolete (use TLS 1.2 or later)", critical: true))
                } else if let value = Double(number), value < 1.2 {
                    found.append(Weakness(reason: "TLS \(number) is below TLS 1.2", critical: false))
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
                    // Unnamed, a curve's size is taken as a curve's; any other size as RSA (512 is RSA-512 far
                    // more often than brainpoolP512).
                    || (algorithm.isEmpty && (size < 224 || !ellipticSizes.contains(size))))
            {
                let name = algorithm.isEmpty ? "RSA" : algorithm
                found.append(Weakness(reason: "\(name) key of \(size) bits is below 2048", critical: false))
            }
        }
        if let signature = record.signatureAlgorithm,
            weakSignatureOIDs.contains(signature)
                || withNormalisedName(signature, { name in weakSignatures.contains { contains(name, $0) } })
        {
            found.append(Weakness(reason: "certificate signed with \(signature)", critical: false))
        }
        // The negotiated suite, then the offered ones; a suite named twice is reported once.
        if let suite = record.cipherSuite, let reason = weakCipher(suite) {
            found.append(suiteWeakness(suite, reason))
        }
        let offered = record.cipherSuites
        for (position, suite) in offered.enumerated()
        where suite != record.cipherSuite && !offered[..<position].contains(suite) {
            if let reason = weakCipher(suite) { found.append(suiteWeakness(suite, reason)) }
        }
        return found
    }

    /// Key sizes of the common elliptic curves (P-224 to P-521, X25519, Ed25519, X448, Ed448, brainpoolP320).
    private static let ellipticSizes: Set = [224, 255, 256, 320, 384, 448, 456, 521]

    private static func suiteWeakness(_ suite: String, _ reason: String) -> Weakness {
        Weakness(reason: "cipher suite \(suite) \(reason)", critical: reason == noEncryption)
    }

    private static func stripping(_ prefixes: [String], from text: String) -> Substring {
        for prefix in prefixes where text.hasPrefix(prefix) { return text.dropFirst(prefix.count) }
        return Substring(text)
    }

    /// Why a cipher suite (TLS, SSH or IPsec notation) is weak, or nil.
    public static func weakCipher(_ suite: String) -> String? {
        withNormalisedName(suite) { name in cipherRules.first { contains(name, $0.0) }?.1 }
    }

    /// Runs `body` with the name as the rules read it, in a buffer on the stack: ASCII letters upper-cased, `_` and
    /// spaces written as `-`, and a `-` before and after, so that `-DES-` finds DES as a word in any notation
    /// (`TLS_RSA_WITH_DES_CBC_SHA`, `DES-CBC-SHA`, `esp-des-sha1`). Every record's suite and signature are
    /// checked: `uppercased()` plus an array would cost two allocations each time. Algorithm and suite names are
    /// ASCII.
    private static func withNormalisedName<Result>(
        _ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.utf8.count + 2) { buffer in
            buffer[0] = UInt8(ascii: "-")
            func normalise(_ bytes: some Sequence<UInt8>) {
                var offset = 1
                for byte in bytes {
                    buffer[offset] =
                        switch byte {
                        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - 0x20
                        case UInt8(ascii: "_"), UInt8(ascii: " "): UInt8(ascii: "-")
                        default: byte
                        }
                    offset += 1
                }
            }
            // In place for a native string, which nearly every one is; its UTF-8 view otherwise.
            if text.utf8.withContiguousStorageIfAvailable({ normalise($0) }) == nil { normalise(text.utf8) }
            buffer[buffer.count - 1] = UInt8(ascii: "-")
            return body(UnsafeBufferPointer(buffer))
        }
    }

    /// SHA-1, MD5 and MD2 signatures by name, and by OID (`1.2.840.113549.1.1.5` is sha1WithRSAEncryption).
    private static let weakSignatures = ["SHA1", "SHA-1", "MD5", "MD2"].map { Array($0.utf8) }
    private static let weakSignatureOIDs: Set = [
        "1.2.840.113549.1.1.2", "1.2.840.113549.1.1.4", "1.2.840.113549.1.1.5", "1.2.840.10040.4.3",
        "1.2.840.10045.4.1", "1.3.14.3.2.29",
    ]

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
        // Patterns match the normalised name (see `withNormalisedName`); the first that matches names the weakness,
        // so 3DES comes before single DES.
        let rules: [(String, String)] = [
            ("RC4", "uses RC4"), ("ARCFOUR", "uses RC4"), ("3DES", "uses 3DES (Sweet32)"),
            ("DES-CBC3", "uses 3DES (Sweet32)"), ("DES-EDE3", "uses 3DES (Sweet32)"),
            ("-DES-", "uses DES"), ("NULL", noEncryption),
            ("EXPORT", "is an export cipher"),
            ("-ANON-", "has no authentication"), ("ADH", "has no authentication"), ("AECDH", "has no authentication"),
            ("MD5", "uses MD5"), ("BLOWFISH", "uses a 64-bit block cipher"), ("IDEA", "uses a 64-bit block cipher"),
            ("RC2", "uses RC2"), ("MODP768", "uses a 768-bit DH group"),
            ("MODP1024", "uses a 1024-bit DH group"),
            ("-DIFFIE-HELLMAN-GROUP1-", "uses a 1024-bit DH group"),  // SSH's Oakley group 2
        ]
        return rules.map { (Array($0.0.utf8), $0.1) }
    }()
}
