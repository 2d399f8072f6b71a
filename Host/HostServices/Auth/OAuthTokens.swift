import Foundation
import JSONCore
import PluginABI

/// Fetches and caches one integration's OAuth 2.0 access token: fetched once and shared by concurrent callers,
/// refreshed a minute before it expires (with the refresh token when the server gave one), and refreshed at once
/// when the target answers 401. A refused client or user is an authentication failure, never retried in a loop.
final class OAuthTokens: @unchecked Sendable {
    struct Failure: Error {
        let kind: FailureClass
        let message: String
    }

    private let settings: OAuthSettings
    private let client: CurlClient
    private let timeout: Duration
    private let lock = NSLock()
    private var accessToken: String?
    private var refreshToken: String?
    private var expiresAt = Date.distantPast
    private(set) var fetches = 0

    /// Refresh this long before the server's expiry, so a token never expires in flight.
    static let refreshMargin: TimeInterval = 60

    init(settings: OAuthSettings, client: CurlClient, timeout: Duration) {
        self.settings = settings
        self.client = client
        self.timeout = timeout
    }

    /// A valid access token. `replacing` is the token a 401 was answered to: if nobody has refreshed it since,
    /// a new one is fetched.
    /// `cancelled`: the request for a token is ended once it says so (its caller was given up on).
    func token(replacing rejected: String? = nil, cancelled: (@Sendable () -> Bool)? = nil) throws(Failure) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let token = accessToken, token != rejected, Date() < expiresAt.addingTimeInterval(-Self.refreshMargin) {
            return token
        }
        if let refresh = refreshToken, rejected == nil {
            if let token = try? request(["grant_type": "refresh_token", "refresh_token": refresh], cancelled) {
                return token
            }
        }
        var form = ["grant_type": settings.grant.name]
        if case .password(let username, let password) = settings.grant {
            form["username"] = username
            form["password"] = password
        }
        return try request(form, cancelled)
    }

    private func request(_ fields: [String: String], _ cancelled: (@Sendable () -> Bool)?) throws(Failure) -> String {
        var form = fields
        var headers = [
            HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json"),
        ]
        if settings.clientSecretInBasicHeader {
            headers.append(HTTPHeader("Authorization", AuthMethod.basic(settings.clientID, settings.clientSecret)))
        } else {
            form["client_id"] = settings.clientID
            form["client_secret"] = settings.clientSecret
        }
        if let scope = settings.scope { form["scope"] = scope }
        let body = form.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }
            .joined(separator: "&")
        fetches += 1
        let result = client.perform(
            TransportRequest(
                method: "POST", url: settings.tokenURL, headers: headers, body: Array(body.utf8), timeout: timeout,
                cancelled: cancelled))
        let response: TransportResponse
        switch result {
        case .failure(let failure):
            throw Failure(kind: failure.kind, message: "the OAuth token endpoint failed: \(failure.message)")
        case .success(let answer): response = answer
        }
        let document = try? JSON.parse(response.body)
        guard (200..<300).contains(response.statusCode), let token = document?["access_token"]?.stringValue else {
            let reason =
                document?["error_description"]?.stringValue ?? document?["error"]?.stringValue ?? "no access_token"
            let kind: FailureClass =
                [400, 401, 403].contains(response.statusCode)
                ? .auth : (FailureClass.of(statusCode: response.statusCode, headers: response.headers) ?? .server)
            throw Failure(
                kind: kind,
                message: "the OAuth token endpoint refused the \(settings.grant.name) grant "
                    + "(HTTP \(response.statusCode)): \(reason)")
        }
        accessToken = token
        refreshToken = document?["refresh_token"]?.stringValue ?? refreshToken
        let lifetime = document?["expires_in"]?.doubleValue ?? 3600
        expiresAt = Date().addingTimeInterval(lifetime)
        return token
    }

    /// Current token values, for redaction.
    var secretValues: [String] { lock.withLock { [accessToken, refreshToken].compactMap { $0 } } }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
