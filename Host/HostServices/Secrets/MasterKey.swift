import CSystemShims
import Crypto
import Foundation

/// The key that seals every secret at rest: 32 random bytes, base64-encoded, from `CRYPTOCONNECT_MASTER_KEY` or the
/// file `CRYPTOCONNECT_MASTER_KEY_FILE` names. It is never stored next to the data, and there is no fallback: without
/// it, secrets can be neither stored nor read.
public struct MasterKey: @unchecked Sendable {  // SymmetricKey is immutable
    public static let environmentVariable = "CRYPTOCONNECT_MASTER_KEY"
    public static let fileEnvironmentVariable = "CRYPTOCONNECT_MASTER_KEY_FILE"

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    let key: SymmetricKey
    /// A short fingerprint stored with each secret, so a wrong key is named as such instead of failing obscurely.
    public let id: String

    public init(base64 text: String, source: String) throws(Problem) {
        guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32
        else {
            throw Problem(
                description: "the master key from \(source) must be 32 bytes encoded as base64 "
                    + "(create one with `cryptoconnect secrets generate-key`)")
        }
        key = SymmetricKey(data: bytes)
        id = SHA256.hash(data: bytes).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// A new random key, base64-encoded.
    public static func generate() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Whether the environment names a master key (well formed or not).
    public static func isConfigured(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        [environmentVariable, fileEnvironmentVariable].contains { !(environment[$0] ?? "").isEmpty }
    }

    /// The configured key: a file given explicitly, else the environment variables. The process that holds it is
    /// made undumpable: a plugin's worker runs as the same user, and could otherwise read the key from the host's
    /// /proc environ or memory.
    public static func load(file: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(Problem) -> MasterKey
    {
        let key = try find(file: file, environment: environment)
        keepFromSameUser()
        return key
    }

    /// Makes this process undumpable: its /proc environ and memory become root's, out of reach of another process of
    /// the same user. The cost: debuggers, `lsof` and crash backtraces of the same user cannot read it either.
    public static func keepFromSameUser() { cc_keep_memory_from_same_user() }

    private static func find(file: String?, environment: [String: String]) throws(Problem) -> MasterKey {
        if let path = file ?? environment[fileEnvironmentVariable].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw Problem(description: "the master key file \(path) cannot be read")
            }
            // As ssh does with a private key: a key other users can read opens every tenant's secrets to them, and
            // one a group can write can be swapped for theirs. (A group may read it, as a container's secret mount
            // with mode 0440 lets it.)
            var status = stat()
            if stat(path, &status) == 0, status.st_uid != geteuid(), status.st_uid != 0 {
                throw Problem(
                    description: "the master key file \(path) belongs to another user (uid \(status.st_uid)), who can "
                        + "read it: give it to this one (chown) with mode 600")
            }
            if stat(path, &status) == 0, status.st_mode & 0o027 != 0 {
                throw Problem(
                    description: "the master key file \(path) is open to other users (mode "
                        + String(status.st_mode & 0o777, radix: 8) + "): make it private with chmod 600 \(path) (or "
                        + "640 for a group to read it)")
            }
            return try MasterKey(base64: text, source: path)
        }
        if let text = environment[environmentVariable], !text.isEmpty {
            return try MasterKey(base64: text, source: environmentVariable)
        }
        throw Problem(
            description: "no master key: set \(environmentVariable) or \(fileEnvironmentVariable) (create a key with "
                + "`cryptoconnect secrets generate-key`); secrets are never stored unencrypted")
    }
}
