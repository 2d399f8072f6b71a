import Foundation
import HostServices
import JSONCore
import LoopbackHTTP
import PluginABI
import TestSupport
import Testing

/// Authentication the host injects: plugins never see a credential.
@Suite struct AuthTests {
    @Test func staticMethodsAddTheirHeader() throws {
        let server = try RecordingServer { _, _ in ok() }
        let base = JSON.string(server.baseURL)
        _ = try integrationHTTP([
            "base_url": base,
            "auth": ["type": "api_key", "header": "Authorization", "prefix": "Token", "key": "pat-0123"],
        ]).send(get("/a"))
        _ = try integrationHTTP(["base_url": base, "auth": ["type": "api_key", "key": "k-98765"]]).send(get("/b"))
        _ = try integrationHTTP([
            "base_url": base, "auth": ["type": "basic", "username": "svc", "password": "p@ss:word"],
        ]).send(get("/c"))
        _ = try integrationHTTP(["base_url": base, "auth": ["type": "bearer", "token": "tok-abcdef"]]).send(get("/d"))
        let headers = server.requests.map { [$0.header("Authorization"), $0.header("X-API-Key")] }
        #expect(headers[0] == ["Token pat-0123", nil])
        #expect(headers[1] == [nil, "k-98765"])
        #expect(headers[2] == ["Basic " + Data("svc:p@ss:word".utf8).base64EncodedString(), nil])
        #expect(headers[3] == ["Bearer tok-abcdef", nil])
    }

    @Test func pluginCannotOverrideTheHostsCredentials() throws {
        let server = try RecordingServer { _, _ in ok() }
        let http = try integrationHTTP([
            "base_url": .string(server.baseURL), "auth": ["type": "bearer", "token": "tok-real"],
        ])
        _ = http.send(get("/", headers: [HTTPHeader("authorization", "Bearer forged")]))
        #expect(
            server.requests.first?.headers.filter { $0.name.lowercased() == "authorization" }.map(\.value) == [
                "Bearer tok-real"
            ])
    }

    /// A token endpoint and an API behind it: tokens expire after `lifetime` seconds; `revokeFirst` rejects the first
    /// token once, as if it had been revoked.
    final class OAuthServer: @unchecked Sendable {
        let lifetime: Int
        let revokeFirst: Bool
        private let lock = NSLock()
        private var issued: [String] = []
        private var revoked: Set<String> = []
        var server: RecordingServer!

        init(lifetime: Int = 3600, revokeFirst: Bool = false) throws {
            self.lifetime = lifetime
            self.revokeFirst = revokeFirst
            server = try RecordingServer { [unowned self] request, _ in self.answer(request) }
        }

        var tokenRequests: [HTTPServerRequest] { server.requests(to: "/oauth_token.do") }

        private func answer(_ request: HTTPServerRequest) -> HTTPServerResponse {
            if request.path == "/oauth_token.do" {
                let form = request.formFields
                guard form["client_id"] == "cc-client", form["client_secret"] == "s3cret-value" else {
                    return HTTPServerResponse(
                        status: 401,
                        json: #"{"error":"invalid_client","error_description":"Client authentication failed"}"#)
                }
                if form["grant_type"] == "password", form["username"] != "svc" || form["password"] != "pw-123456" {
                    return HTTPServerResponse(status: 401, json: #"{"error":"access_denied"}"#)
                }
                let token = lock.withLock { () -> String in
                    let token = "access-\(issued.count + 1)"
                    issued.append(token)
                    return token
                }
                return ok(
                    #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":\#(lifetime),"refresh_token":"refresh-\#(token)"}"#
                )
            }
            let token = request.header("Authorization")?.replacingOccurrences(of: "Bearer ", with: "") ?? ""
            let rejected = lock.withLock { () -> Bool in
                if revokeFirst, token == "access-1", !revoked.contains(token) {
                    revoked.insert(token)
                    return true
                }
                return !issued.contains(token) || revoked.contains(token)
            }
            return rejected
                ? HTTPServerResponse(status: 401, json: #"{"error":{"message":"User Not Authenticated"}}"#)
                : ok(#"{"token":"\#(token)"}"#)
        }

        func configuration(grant: String = "oauth2_client_credentials", secret: String = "s3cret-value") -> JSON {
            var auth: [String: JSON] = [
                "type": .string(grant), "token_url": .string(server.baseURL + "/oauth_token.do"),
                "client_id": "cc-client",
                "client_secret": .string(secret),
            ]
            if grant == "oauth2_password" {
                auth["username"] = "svc"
                auth["password"] = "pw-123456"
            }
            return ["base_url": .string(server.baseURL), "auth": .object(auth)]
        }
    }

    @Test func tokenIsFetchedOnceAndReused() throws {
        let oauth = try OAuthServer()
        let http = try integrationHTTP(oauth.configuration())
        for _ in 0..<5 { #expect(http.send(get("/api/now/table/x")).text == #"{"token":"access-1"}"#) }
        #expect(oauth.tokenRequests.count == 1)
        #expect(oauth.tokenRequests[0].formFields["grant_type"] == "client_credentials")
    }

    @Test func passwordGrantSendsTheUser() throws {
        let oauth = try OAuthServer()
        let http = try integrationHTTP(oauth.configuration(grant: "oauth2_password"))
        let answer = http.send(get("/x"))
        #expect(answer.statusCode == 200, "\(answer)")
        #expect(oauth.tokenRequests.first?.formFields["username"] == "svc")
    }

    @Test func tokenIsRefreshedBeforeItExpires() throws {
        // 61 s of life and a 60 s safety margin: the token is due for refresh a second after it was issued.
        let oauth = try OAuthServer(lifetime: 61)
        let http = try integrationHTTP(oauth.configuration())
        #expect(http.send(get("/x")).text == #"{"token":"access-1"}"#)
        Thread.sleep(forTimeInterval: 1.2)
        #expect(http.send(get("/x")).text == #"{"token":"access-2"}"#)
        #expect(oauth.tokenRequests.count == 2)
        #expect(oauth.tokenRequests[1].formFields["grant_type"] == "refresh_token")
    }

    @Test func a401RefreshesTheTokenOnce() throws {
        let oauth = try OAuthServer(revokeFirst: true)
        let http = try integrationHTTP(oauth.configuration())
        let result = http.send(get("/x"))
        #expect(result.statusCode == 200)
        #expect(result.text == #"{"token":"access-2"}"#)
        #expect(oauth.tokenRequests.count == 2)
        #expect(oauth.server.requests(to: "/x").count == 2)
    }

    @Test func badClientSecretIsOneAuthErrorNotARetryStorm() throws {
        let oauth = try OAuthServer()
        let redactor = Redactor()
        let http = try integrationHTTP(oauth.configuration(secret: "wrong-secret"), redactor: redactor)
        let result = http.send(get("/x"))
        #expect(result.status == .auth, "\(result.errorMessage ?? "")")
        #expect(
            result.errorMessage?.contains("invalid_client") == true
                || result.errorMessage?.contains("Client authentication failed") == true)
        #expect(result.errorMessage?.contains("wrong-secret") == false)
        #expect(oauth.tokenRequests.count == 1)
        #expect(oauth.server.requests(to: "/x").isEmpty)
    }

    /// While requests go one at a time after a pause, a call that fails before sending (its token refused) lets
    /// the next one through instead of holding the line until it gives up.
    @Test func aRefusedTokenDoesNotHoldTheLineAfterAPause() throws {
        let oauth = try OAuthServer()
        var configuration = oauth.configuration(secret: "wrong-secret").objectValue!
        configuration["rate_limit"] = ["max_wait_ms": 2000]
        let http = try integrationHTTP(.object(configuration))
        http.limiter.pause(until: .now)  // a pause the target asked for, already over
        #expect(http.send(get("/x")).status == .auth)
        #expect(http.send(get("/x")).status == .auth)
    }
}
