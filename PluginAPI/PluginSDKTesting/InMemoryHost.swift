import PluginSDK

/// A host that lives in memory: it records logs and requests, answers HTTP with a closure you supply, keeps the
/// checkpoint and key-value state in properties, and has a clock you set.
public final class InMemoryHost: HostServiceHandler {
    public var logs: [(level: PluginLogLevel, message: String)] = []
    public var requests: [PluginHTTPRequest] = []
    public var checkpointValue: String?
    public var values: [String: String] = [:]
    public var nowValue: Int64
    /// Answers every HTTP request; the default answers 404 so a missing route shows up plainly.
    public var responder: (PluginHTTPRequest) -> PluginHTTPResult

    public init(
        now: Int64 = 1_767_225_600_000,
        responder: @escaping (PluginHTTPRequest) -> PluginHTTPResult = { _ in PluginHTTPResult(statusCode: 404) }
    ) {
        nowValue = now
        self.responder = responder
    }

    public func log(level: PluginLogLevel, message: String) { logs.append((level, message)) }

    public func http(_ request: PluginHTTPRequest) -> PluginHTTPResult {
        requests.append(request)
        return responder(request)
    }

    public func checkpoint() -> String? { checkpointValue }

    public func setCheckpoint(_ checkpoint: String) -> PluginStatus {
        checkpointValue = checkpoint
        return .ok
    }

    public func value(forKey key: String) -> String? { values[key] }

    public func setValue(_ value: String?, forKey key: String) -> PluginStatus {
        values[key] = value
        return .ok
    }

    public func nowMilliseconds() -> Int64 { nowValue }
}
