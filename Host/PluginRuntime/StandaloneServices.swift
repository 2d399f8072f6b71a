import Foundation
import PluginABI

/// Host services for a plugin used outside an integration (`plugins call`, benchmarks): logs go to the host log,
/// state lives in memory, and there is no HTTP until an integration provides the wire.
public final class StandaloneServices: HostServiceHandler, @unchecked Sendable {
    private let source: String
    private let log: HostLog
    private let lock = NSLock()
    private var checkpointValue: String?
    private var values: [String: String] = [:]

    public init(source: String, log: HostLog) {
        self.source = source
        self.log = log
    }

    public func log(level: PluginLogLevel, message: String) {
        log.write(LogEntry(level: level, source: source, message: message))
    }

    public func http(_ request: PluginHTTPRequest) -> PluginHTTPResult {
        .failure(.config, "no integration is configured for this call, so there is no HTTP target")
    }

    public func checkpoint() -> String? { lock.withLock { checkpointValue } }

    public func setCheckpoint(_ checkpoint: String) -> PluginStatus {
        lock.withLock { checkpointValue = checkpoint }
        return .ok
    }

    public func value(forKey key: String) -> String? { lock.withLock { values[key] } }

    public func setValue(_ value: String?, forKey key: String) -> PluginStatus {
        lock.withLock { values[key] = value }
        return .ok
    }

    public func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
