import Foundation
import PluginABI

/// Host services for tests: records log lines, keeps state in memory, answers HTTP with a closure, and has a clock
/// the test sets. Thread-safe, since worker calls may run on several threads at once.
public final class TestServices: HostServiceHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var storedLines: [String] = []
    private var storedCheckpoint: String?
    private var storedValues: [String: String] = [:]
    private let responder: @Sendable (PluginHTTPRequest) -> PluginHTTPResult
    public let clock: Int64

    public init(
        checkpoint: String? = nil, clock: Int64 = 1_767_225_600_000,
        responder: @escaping @Sendable (PluginHTTPRequest) -> PluginHTTPResult = { _ in
            .failure(.config, "no HTTP in this test")
        }
    ) {
        storedCheckpoint = checkpoint
        self.clock = clock
        self.responder = responder
    }

    public var lines: [String] { lock.withLock { storedLines } }
    public var checkpointValue: String? { lock.withLock { storedCheckpoint } }
    public var values: [String: String] { lock.withLock { storedValues } }

    public func log(level: PluginLogLevel, message: String) {
        lock.withLock { storedLines.append("\(level): \(message)") }
    }
    public func http(_ request: PluginHTTPRequest) -> PluginHTTPResult { responder(request) }
    public func checkpoint() -> String? { checkpointValue }

    public func setCheckpoint(_ checkpoint: String) -> PluginStatus {
        lock.withLock { storedCheckpoint = checkpoint }
        return .ok
    }

    public func value(forKey key: String) -> String? { lock.withLock { storedValues[key] } }

    public func setValue(_ value: String?, forKey key: String) -> PluginStatus {
        lock.withLock { storedValues[key] = value }
        return .ok
    }

    public func nowMilliseconds() -> Int64 { clock }
}
