import Foundation
import PluginABI

/// One line of the host log.
public struct LogEntry: Sendable, Equatable {
    public let level: PluginLogLevel
    /// Who said it: "host", "plugin c-fixture@1.0.0 stdout (worker 1234)", ...
    public let source: String
    public let message: String

    public init(level: PluginLogLevel, source: String, message: String) {
        self.level = level
        self.source = source
        self.message = message
    }
}

/// Where the host's log goes. Implementations must be cheap and thread-safe; they never see secrets, because
/// nothing that logs is handed them.
public protocol HostLog: Sendable {
    func write(_ entry: LogEntry)
}

/// Timestamped lines on standard error.
public struct StandardErrorLog: HostLog {
    public var minimumLevel: PluginLogLevel

    public init(minimumLevel: PluginLogLevel = .info) { self.minimumLevel = minimumLevel }

    public func write(_ entry: LogEntry) {
        guard entry.level >= minimumLevel else { return }
        let stamp = Date().formatted(.iso8601)
        FileHandle.standardError.write(Data("\(stamp) \(entry.level) [\(entry.source)] \(entry.message)\n".utf8))
    }
}

/// Keeps entries in memory, for tests and for commands that print what a call logged.
public final class CollectingLog: HostLog, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [LogEntry] = []

    public init() {}

    public func write(_ entry: LogEntry) { lock.withLock { stored.append(entry) } }

    public var entries: [LogEntry] { lock.withLock { stored } }
}
