import Foundation
import PluginRuntime

/// Knows the secret values the host holds and blanks them out of any text: log lines, error messages, CLI and API
/// output. Values shorter than 4 characters are not matched (they would blank ordinary words).
public final class Redactor: @unchecked Sendable {
    public static let mask = "[REDACTED]"
    private let lock = NSLock()
    private var values: Set<String> = []

    public init() {}

    public func register(_ secrets: some Sequence<String>) {
        lock.withLock {
            for secret in secrets where secret.count >= 4 { values.insert(secret) }
        }
    }

    public func redact(_ text: String) -> String {
        let known = lock.withLock { values }
        guard !known.isEmpty else { return text }
        var result = text
        // Longest first, so a secret that contains another is blanked whole.
        for secret in known.sorted(by: { $0.count > $1.count }) where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        return result
    }
}

/// A log that passes every line through a `Redactor` before writing it.
public struct RedactingLog: HostLog {
    public let base: HostLog
    public let redactor: Redactor

    public init(_ base: HostLog, redactor: Redactor) {
        self.base = base
        self.redactor = redactor
    }

    public func write(_ entry: LogEntry) {
        base.write(LogEntry(level: entry.level, source: entry.source, message: redactor.redact(entry.message)))
    }
}
