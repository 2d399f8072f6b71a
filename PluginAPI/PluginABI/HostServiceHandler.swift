/// What a host offers a plugin instance, in Swift. `HostServicesBridge` turns it into the C `cc_host_services`
/// table; the real host, the worker process and the SDK's in-memory test host each implement it.
public protocol HostServiceHandler: AnyObject {
    func log(level: PluginLogLevel, message: String)
    func http(_ request: PluginHTTPRequest) -> PluginHTTPResult
    func checkpoint() -> String?
    func setCheckpoint(_ checkpoint: String) -> PluginStatus
    func value(forKey key: String) -> String?
    func setValue(_ value: String?, forKey key: String) -> PluginStatus
    func nowMilliseconds() -> Int64
}

public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension [HTTPHeader] {
    /// The first value of a header, matched without regard to case.
    public func value(for name: String) -> String? {
        let wanted = name.lowercased()
        return first { $0.name.lowercased() == wanted }?.value
    }
}

/// An HTTP request as a plugin asks for it: the host adds authentication and everything else that is policy.
public struct PluginHTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var idempotencyKey: String?
    /// The plugin says the request is safe to repeat although its method is not idempotent.
    public var idempotent: Bool
    /// A critical call that takes the priority lane.
    public var priority: Bool
    public var timeoutMilliseconds: UInt32

    public init(
        method: String, url: String, headers: [HTTPHeader] = [], body: [UInt8] = [], idempotencyKey: String? = nil,
        idempotent: Bool = false, priority: Bool = false, timeoutMilliseconds: UInt32 = 0
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.idempotencyKey = idempotencyKey
        self.idempotent = idempotent
        self.priority = priority
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// The outcome of a request: a response (any status code) with `status == .ok`, or why none arrived.
public struct PluginHTTPResult: Sendable, Equatable {
    public var status: PluginStatus
    public var statusCode: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var retryAfterMilliseconds: UInt32
    public var errorMessage: String?

    public init(
        status: PluginStatus = .ok, statusCode: Int = 0, headers: [HTTPHeader] = [], body: [UInt8] = [],
        retryAfterMilliseconds: UInt32 = 0, errorMessage: String? = nil
    ) {
        self.status = status
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
        self.retryAfterMilliseconds = retryAfterMilliseconds
        self.errorMessage = errorMessage
    }

    public static func failure(_ status: PluginStatus, _ message: String, retryAfterMilliseconds: UInt32 = 0)
        -> PluginHTTPResult
    {
        PluginHTTPResult(status: status, retryAfterMilliseconds: retryAfterMilliseconds, errorMessage: message)
    }
}
