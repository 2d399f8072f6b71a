import Foundation
import JSONCore
import LoopbackHTTP

/// A ServiceNow instance's CMDB: the Table API (v1 and v2), Identification and Reconciliation, Basic auth and the
/// OAuth password grant, with ServiceNow's error bodies. CIs live in one class hierarchy, so a query on
/// `cmdb_ci_server` returns Linux and Windows servers too.
final class ServiceNowSimulator: VendorSimulator, @unchecked Sendable {
    let name = "servicenow"
    static let username = "crypto.integration"
    static let password = "sandbox-servicenow-password"
    static let clientID = "sandbox-oauth-client"
    static let clientSecret = "sandbox-oauth-secret"

    let lock = NSLock()
    /// CIs by sys_id; `order` keeps creation order, the default order of a Table API answer.
    var records: [String: [String: String]] = [:]
    var order: [String] = []
    /// CIs the integration user may not read (a row-level ACL): the Table API leaves them out of its pages after the
    /// query ran, as ServiceNow does, so a page comes back short, or empty while more follow, and `X-Total-Count`
    /// still counts them.
    var restricted: Set<String> = []
    /// `source_name|source_native_key` → sys_id: what IRE's `sys_object_source_info` links.
    var sources: [String: String] = [:]
    var tokens: [String: Date] = [:]
    var refreshTokens: Set<String> = []
    var sequence: UInt64 = 0
    let seedEstate: SampleEstate

    init(estate: SampleEstate) {
        seedEstate = estate
        seed()
    }

    var credentials: JSON {
        [
            "auth": [
                "type": "basic", "username": .string(Self.username), "password": .string(Self.password),
            ]
        ]
    }

    func serves(_ path: String) -> Bool { path.hasPrefix("/api/now/") || path == "/oauth_token.do" }

    func isAuthorized(_ request: HTTPServerRequest) -> Bool {
        if request.path == "/oauth_token.do" { return true }  // it checks its own form
        if let basic = request.basicCredentials { return basic == (Self.username, Self.password) }
        guard let header = request.header("Authorization"), header.hasPrefix("Bearer ") else { return false }
        let token = String(header.dropFirst(7))
        return lock.withLock { tokens[token].map { $0 > Date() } ?? false }
    }

    func respond(to request: HTTPServerRequest) -> HTTPServerResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        if request.path == "/oauth_token.do" { return token(request) }
        if request.path.hasPrefix("/api/now/identifyreconcile") {
            guard request.method == "POST" else { return failure(status: 405, message: "Method not Supported") }
            return identifyReconcile(request, dryRun: request.path.hasSuffix("/query"))
        }
        // /api/now/table/{table}[/{sys_id}] or /api/now/v2/table/...
        let version2 = parts.count > 2 && parts[2] == "v2"
        let rest = Array(parts.dropFirst(version2 ? 3 : 2))
        guard rest.first == "table", rest.count == 2 || rest.count == 3 else {
            return failure(status: 400, message: "Requested URI does not represent any resource")
        }
        let table = rest[1]
        if table == "sys_dictionary" {
            guard request.method == "GET", rest.count == 2 else {
                return failure(status: 405, message: "Method not Supported")
            }
            return list(table, request, version2: version2)
        }
        guard Self.classes[table] != nil else {
            return failure(status: 400, message: "Invalid table \(table)")
        }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            guard request.header("Content-Type")?.contains("application/json") == true,
                request.header("Accept").map({ $0.contains("application/json") || $0.contains("*/*") }) ?? false
            else {
                return failure(
                    status: 400, message: "A request with a body needs Accept and Content-Type application/json")
            }
        }
        switch (request.method, rest.count) {
        case ("GET", 2): return list(table, request, version2: version2)
        case ("GET", 3): return single(table, rest[2], request)
        case ("POST", 2): return create(table, request)
        case ("PATCH", 3), ("PUT", 3): return update(table, rest[2], request)
        case ("DELETE", 3): return delete(table, rest[2])
        default: return failure(status: 405, message: "Method not Supported")
        }
    }

    func failure(status: Int, message: String) -> HTTPServerResponse {
        let detail: String
        switch status {
        case 401: detail = "Required to provide Auth information"
        case 429: detail = "Rate limit of requests per hour for Table API exceeded"
        case 404: detail = "Records matching query not found. Check query parameter or offset parameter"
        case 503: detail = "The instance is temporarily unavailable"
        default: detail = message
        }
        return .json(
            status, ["error": ["message": .string(message), "detail": .string(detail)], "status": "failure"])
    }

    func rateLimitHeaders(limit: Int, resetAt: Date) -> [(name: String, value: String)] {
        [
            ("X-RateLimit-Limit", String(limit)), ("X-RateLimit-Reset", String(Int(resetAt.timeIntervalSince1970))),
            ("X-RateLimit-Rule", "sandbox_table_api_rule"),
        ]
    }

    // MARK: OAuth

    private func token(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let form = request.formFields
        let denied = HTTPServerResponse.json(401, ["error": "server_error", "error_description": "access_denied"])
        guard request.method == "POST", form["client_id"] == Self.clientID, form["client_secret"] == Self.clientSecret
        else { return denied }
        return lock.withLock {
            switch form["grant_type"] {
            case "password":
                guard form["username"] == Self.username, form["password"] == Self.password else { return denied }
            case "refresh_token":
                guard let refresh = form["refresh_token"], refreshTokens.contains(refresh) else { return denied }
            default:
                return .json(400, ["error": "unsupported_grant_type", "error_description": "access_denied"])
            }
            let access = nextIdentifier()
            let refresh = nextIdentifier()
            tokens[access] = Date().addingTimeInterval(1799)
            refreshTokens.insert(refresh)
            return .json(
                200,
                [
                    "access_token": .string(access), "refresh_token": .string(refresh), "scope": "useraccount",
                    "token_type": "Bearer", "expires_in": 1799,
                ])
        }
    }

    /// A 32-character hex sys_id, deterministic for a given history.
    func nextIdentifier() -> String {
        sequence += 1
        var generator = SplitMix64(seed: 0x5EED_0000 &+ sequence)
        return String(format: "%016llx%016llx", generator.next(), generator.next())
    }

    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}
