import Crypto
import Foundation

/// A content-addressed copy of every plugin the host loads. The host maps the copy, never the dropped file, so
/// replacing or deleting a file in the plugins directory cannot touch code that is running, and two builds of one
/// plugin never share a file.
public struct PluginCache: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// Copies `file` into the cache (once per content) and returns the copy's path and the content's SHA-256.
    public func store(_ file: String) throws -> (path: String, sha256: String) {
        let digest = try Self.sha256(of: file)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let destination = directory.appendingPathComponent("\(digest).so").path
        if !FileManager.default.fileExists(atPath: destination) {
            // Copy to a private name, then rename: a concurrent reader sees the whole file or none.
            let temporary = destination + ".\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).tmp"
            try FileManager.default.copyItem(atPath: file, toPath: temporary)
            guard rename(temporary, destination) == 0 else {
                try? FileManager.default.removeItem(atPath: temporary)
                throw HostSystemError(operation: "rename \(temporary)")
            }
        }
        return (destination, digest)
    }

    static func sha256(of file: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw HostSystemError(operation: "open \(file)", code: errno)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
