import Foundation
import JSONCore
import LoopbackHTTP

/// One simulated target system: its routes, its own error shapes and its state. The sandbox wraps each in fault
/// injection, so vendor behaviour stays in one place and faults in another.
protocol VendorSimulator: AnyObject, Sendable {
    var name: String { get }
    /// Whether this simulator serves the path (vendors' paths do not overlap, so one port serves all).
    func serves(_ path: String) -> Bool
    func isAuthorized(_ request: HTTPServerRequest) -> Bool
    func respond(to request: HTTPServerRequest) -> HTTPServerResponse
    /// An error in the vendor's own shape.
    func failure(status: Int, message: String) -> HTTPServerResponse
    /// What the vendor says to a request without valid credentials (its own words, in its own shape).
    var unauthenticatedMessage: String { get }
    /// The state, for `--state` persistence and the admin API.
    func snapshot() -> JSON
    func restore(_ state: JSON)
    /// Credentials a client configures, for the banner.
    var credentials: JSON { get }
    /// Headers every answer carries while a rate-limit rule is set (ServiceNow's `X-RateLimit-*`).
    func rateLimitHeaders(limit: Int, resetAt: Date) -> [(name: String, value: String)]
    /// Whether the request may change state (and so the state is saved after it).
    func mutates(_ request: HTTPServerRequest) -> Bool
}

extension VendorSimulator {
    var unauthenticatedMessage: String { "User Not Authenticated" }  // ServiceNow's
    func rateLimitHeaders(limit: Int, resetAt: Date) -> [(name: String, value: String)] { [] }
    func mutates(_ request: HTTPServerRequest) -> Bool { request.method != "GET" }
}

/// One request a simulator answered, for the admin API and the conformance tests.
public struct ServedRequest: Sendable {
    public let method: String
    public let path: String
    public let status: Int
    public let at: Date
    /// Time the simulator spent answering (faults and handler), not counting the network.
    public let handlingTime: Duration
    public var json: JSON {
        [
            "method": .string(method), "path": .string(path), "status": JSON(status),
            "at": .number(at.timeIntervalSince1970),
            "handling_ms": .number(Double(handlingTime.wholeMicroseconds) / 1000),
        ]
    }
}

/// Faults injected into one simulator, set through the admin API: throttling, a share of server errors, latency,
/// refused credentials and malformed bodies.
public struct Faults: Sendable, Equatable {
    public var rateLimit: (limit: Int, windowSeconds: Double, retryAfterSeconds: Int)?
    public var errorRate = 0.0
    public var latencyMilliseconds = 0
    public var rejectCredentials = false
    public var malformedBodies = false

    public init() {}

    public static func == (lhs: Faults, rhs: Faults) -> Bool { lhs.json == rhs.json }

    public init(json: JSON) throws(SandboxProblem) {
        if let rate = json["rate_limit"], !rate.isNull {
            guard let limit = rate["limit"]?.intValue, limit > 0 else {
                throw SandboxProblem(description: "faults.rate_limit.limit must be a positive integer")
            }
            rateLimit = (limit, rate["window_seconds"]?.doubleValue ?? 60, rate["retry_after_seconds"]?.intValue ?? 2)
        }
        errorRate = json["error_rate"]?.doubleValue ?? 0
        guard (0...1).contains(errorRate) else {
            throw SandboxProblem(description: "faults.error_rate must be between 0 and 1")
        }
        latencyMilliseconds = json["latency_ms"]?.intValue ?? 0
        rejectCredentials = json["reject_credentials"]?.boolValue ?? false
        malformedBodies = json["malformed_bodies"]?.boolValue ?? false
    }

    public var json: JSON {
        [
            "rate_limit": rateLimit.map {
                [
                    "limit": JSON($0.limit), "window_seconds": .number($0.windowSeconds),
                    "retry_after_seconds": JSON($0.retryAfterSeconds),
                ]
            } ?? .null,
            "error_rate": .number(errorRate), "latency_ms": JSON(latencyMilliseconds),
            "reject_credentials": .bool(rejectCredentials), "malformed_bodies": .bool(malformedBodies),
        ]
    }
}

public struct SandboxProblem: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Applies a simulator's faults in front of it, and counts what it served.
final class FaultGate: @unchecked Sendable {
    let simulator: VendorSimulator
    private let lock = NSLock()
    private var faults = Faults()
    private var windowStart = Date()
    private var windowCount = 0
    private var errorCredit = 0.0
    private var served: [ServedRequest] = []
    static let keptRequests = 10_000

    init(_ simulator: VendorSimulator) { self.simulator = simulator }

    var current: Faults {
        get { lock.withLock { faults } }
        set {
            lock.withLock {
                faults = newValue
                windowCount = 0
                windowStart = Date()
                errorCredit = 0
            }
        }
    }

    var requests: [ServedRequest] { lock.withLock { served } }

    func clearRequests() { lock.withLock { served.removeAll() } }

    func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let started = ContinuousClock.now
        let (active, throttled, failing, resetAt) = lock.withLock { () -> (Faults, Int?, Bool, Date) in
            var throttled: Int?
            if let rule = faults.rateLimit {
                if Date().timeIntervalSince(windowStart) >= rule.windowSeconds {
                    windowStart = Date()
                    windowCount = 0
                }
                windowCount += 1
                if windowCount > rule.limit {
                    throttled = max(
                        rule.retryAfterSeconds,
                        Int((rule.windowSeconds - Date().timeIntervalSince(windowStart)).rounded(.up)))
                }
            }
            // A deterministic share of failures: with 0.5, every second request fails.
            errorCredit += faults.errorRate
            let failing = throttled == nil && errorCredit >= 1
            if failing { errorCredit -= 1 }
            return (faults, throttled, failing, windowStart.addingTimeInterval(faults.rateLimit?.windowSeconds ?? 0))
        }
        var response: HTTPServerResponse
        if let retryAfter = throttled {
            response = simulator.failure(status: 429, message: "Rate limit exceeded")
            response.headers.append(("Retry-After", String(retryAfter)))
        } else if failing {
            response = simulator.failure(status: 503, message: "Service temporarily unavailable")
        } else if active.rejectCredentials || !simulator.isAuthorized(request) {
            response = simulator.failure(status: 401, message: simulator.unauthenticatedMessage)
        } else {
            response = simulator.respond(to: request)
            if active.malformedBodies, !response.body.isEmpty {
                response.body = Array(response.body.prefix(response.body.count / 2))
            }
        }
        if let rule = active.rateLimit {
            response.headers += simulator.rateLimitHeaders(limit: rule.limit, resetAt: resetAt)
        }
        if active.latencyMilliseconds > 0 { response.delay = Double(active.latencyMilliseconds) / 1000 }
        let record = ServedRequest(
            method: request.method, path: request.path, status: response.status, at: request.receivedAt,
            handlingTime: ContinuousClock.now - started)
        lock.withLock {
            if served.count >= Self.keptRequests { served.removeFirst(served.count / 2) }
            served.append(record)
        }
        return response
    }
}

extension Duration {
    var wholeMicroseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}

extension HTTPServerResponse {
    static func json(_ status: Int, _ document: JSON, headers: [(name: String, value: String)] = [])
        -> HTTPServerResponse
    {
        HTTPServerResponse(status: status, json: document.serialized(), headers: headers)
    }
}

extension HTTPServerRequest {
    var jsonBody: JSON? { try? JSON.parse(body) }

    /// The Basic credentials of the request, if any.
    var basicCredentials: (user: String, password: String)? {
        guard let header = header("Authorization"), header.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
    }
}
