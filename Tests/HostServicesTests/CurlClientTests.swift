import Foundation
import HostServices
import JSONCore
import LoopbackHTTP
import PluginABI
import TestSupport
import Testing

/// The libcurl client against a real server on 127.0.0.1.
@Suite struct CurlClientTests {
    @Test func methodsHeadersAndBodiesRoundTrip() throws {
        let server = try RecordingServer { request, _ in
            HTTPServerResponse(
                status: 201, headers: [("X-Echo-Method", request.method), ("X-Total-Count", "42")],
                body: request.body.isEmpty ? Array("empty".utf8) : request.body)
        }
        let http = try integrationHTTP(["base_url": .string(server.baseURL)])
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let result = http.send(
                PluginHTTPRequest(
                    method: method, url: "/things/1", headers: [HTTPHeader("X-Custom", "v")],
                    body: Array(#"{"a":1}"#.utf8)))
            #expect(result.status == .ok)
            #expect(result.statusCode == 201)
            #expect(result.headers.value(for: "x-echo-method") == method)
            #expect(result.text == #"{"a":1}"#)
        }
        let fetched = http.send(get("/things?x=1"))
        #expect(fetched.text == "empty")
        #expect(fetched.headers.value(for: "X-Total-Count") == "42")
        let last = try #require(server.requests.last)
        #expect(last.path == "/things")
        #expect(last.query == "x=1")
        #expect(server.requests.first?.header("X-Custom") == "v")
        #expect(server.requests.allSatisfy { $0.header("User-Agent")?.hasPrefix("CryptoConnect/") == true })
    }

    /// Where a request goes and how it travels are the host's: a plugin's Host header (which routes a request with
    /// the credentials to another site behind a shared front end) and hop-by-hop headers are dropped, and methods
    /// that echo or tunnel the request are not sent.
    @Test func aPluginCannotChooseHostHeaderOrAnEchoingMethod() throws {
        let server = try RecordingServer { _, _ in ok() }
        let http = try integrationHTTP([
            "base_url": .string(server.baseURL), "auth": ["type": "api_key", "key": "key-0123456789"],
        ])
        let sent = http.send(
            get(
                "/x",
                headers: [
                    HTTPHeader("Host", "attacker.example"), HTTPHeader("Connection", "Upgrade"),
                    HTTPHeader("X-Ok", "1"),
                ]))
        #expect(sent.statusCode == 200)
        let received = try #require(server.requests.first)
        #expect(received.header("Host") == server.baseURL.replacingOccurrences(of: "http://", with: ""))
        #expect(received.header("X-Ok") == "1")
        #expect(received.header("Connection")?.lowercased() != "upgrade")
        for method in ["TRACE", "connect"] {
            let refused = http.send(PluginHTTPRequest(method: method, url: "/x", headers: [], body: []))
            #expect(refused.status == .config)
            #expect(refused.errorMessage?.contains("is not sent: it would echo or tunnel the request") == true)
        }
        #expect(server.requests.count == 1)
    }

    @Test func connectionsAreReusedAcrossCalls() throws {
        let server = try RecordingServer { _, _ in ok() }
        let http = try integrationHTTP(["base_url": .string(server.baseURL)])
        for _ in 0..<20 {
            let result = http.send(get("/ping"))
            #expect(result.statusCode == 200, "\(result.errorMessage ?? "")")
        }
        #expect(server.server.acceptedConnections == 1)
    }

    @Test func theServerCountsTheCPUTimeItsConnectionsSpend() throws {
        // The handler spins until its own thread has used 50 ms of CPU: that much at least is counted as serving.
        @Sendable func threadCPU() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let server = try RecordingServer { _, _ in
            let start = threadCPU()
            while threadCPU() - start < 0.05 {}
            return ok()
        }
        #expect(server.server.servingCPUSeconds == 0)
        let http = try integrationHTTP(["base_url": .string(server.baseURL)])
        #expect(http.send(get("/spin")).statusCode == 200)
        #expect(server.server.servingCPUSeconds >= 0.05)
    }

    @Test func redirectsAreNotFollowedUnlessConfigured() throws {
        let server = try RecordingServer { request, _ in
            request.path == "/old"
                ? HTTPServerResponse(status: 302, headers: [("Location", "/new")]) : ok(#"{"at":"new"}"#)
        }
        #expect(try integrationHTTP(["base_url": .string(server.baseURL)]).send(get("/old")).statusCode == 302)
        let following = try integrationHTTP(["base_url": .string(server.baseURL), "follow_redirects": true])
        #expect(following.send(get("/old")).text == #"{"at":"new"}"#)
    }

    /// Followed redirects stay within the origins the credentials may go to: libcurl carried an API key header to
    /// any host a target named. Another origin is refused naming only the origin; listed in additional_origins, it
    /// is followed. A POST answered 303 goes on as a GET.
    @Test func followedRedirectsKeepCredentialsOnTheirOrigins() throws {
        let elsewhere = try RecordingServer { _, _ in ok(#"{"at":"elsewhere"}"#) }
        let server = try RecordingServer { request, _ in
            switch request.path {
            case "/away": HTTPServerResponse(status: 302, headers: [("Location", elsewhere.baseURL + "/x?token=t0k")])
            case "/submit": HTTPServerResponse(status: 303, headers: [("Location", "done")])
            default: ok(#"{"method":"\#(request.method)","path":"\#(request.path)"}"#)
            }
        }
        func http(_ more: [String: JSON] = [:]) throws -> IntegrationHTTP {
            var configuration: [String: JSON] = [
                "base_url": .string(server.baseURL), "follow_redirects": true,
                "auth": ["type": "api_key", "header": "X-API-Key", "key": "key-never-elsewhere"],
            ]
            configuration.merge(more) { $1 }
            return try integrationHTTP(.object(configuration))
        }
        let refused = try http().send(get("/away"))
        #expect(refused.status == .config)
        #expect(
            refused.errorMessage?.contains(
                "redirected to \(elsewhere.baseURL), which is neither the base_url origin nor one of additional_origins"
            )
                == true, "\(refused.errorMessage ?? "")")
        #expect(refused.errorMessage?.contains("t0k") == false)
        #expect(elsewhere.requests.isEmpty)

        let allowed = try http(["additional_origins": [.string(elsewhere.baseURL)]]).send(get("/away"))
        #expect(allowed.text == #"{"at":"elsewhere"}"#)
        #expect(elsewhere.requests.first?.header("X-API-Key") == "key-never-elsewhere")

        let submitted = try http().send(
            PluginHTTPRequest(method: "POST", url: "/submit", headers: [], body: Array("{}".utf8)))
        #expect(submitted.text == #"{"method":"GET","path":"/done"}"#)
    }

    @Test func timeoutsAndRefusedConnectionsAreClassified() throws {
        let server = try RecordingServer { _, _ in HTTPServerResponse(status: 200, delay: 2) }
        let slow = try integrationHTTP([
            "base_url": .string(server.baseURL), "timeouts": ["request_ms": 300], "retry": ["max_attempts": 1],
        ])
        let timedOut = slow.send(get("/slow"))
        #expect(timedOut.status == .timeout)
        #expect(timedOut.errorMessage?.contains("GET \(server.baseURL)/slow") == true)

        let closedPort = try Nginx.freePorts(1)[0]
        let refused = try integrationHTTP([
            "base_url": .string("http://127.0.0.1:\(closedPort)"), "retry": ["max_attempts": 1],
        ])
        #expect(refused.send(get("/")).status == .connection)
    }

    @Test func requestsStayOnTheIntegrationsOrigin() throws {
        let server = try RecordingServer { _, _ in ok() }
        let http = try integrationHTTP([
            "base_url": .string(server.baseURL), "auth": ["type": "bearer", "token": "tok-123456"],
        ])
        #expect(http.send(get(server.baseURL + "/absolute")).statusCode == 200)
        let elsewhere = http.send(get("http://127.0.0.2:9/steal"))
        #expect(elsewhere.status == .config)
        #expect(elsewhere.errorMessage?.contains("requests go only to the integration's base_url origin") == true)
        #expect(server.requests.count == 1)
    }
}
