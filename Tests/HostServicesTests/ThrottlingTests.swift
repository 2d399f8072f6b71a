import Foundation
import HostServices
import JSONCore
import LoopbackHTTP
import PluginABI
import TestSupport
import Testing

/// Rate limits the target announces, the host's own token bucket, retries and the circuit breaker.
@Suite struct ThrottlingTests {
    @Test func retryAfterSecondsDelaysTheNextRequest() throws {
        let server = try RecordingServer { _, index in
            index == 0
                ? HTTPServerResponse(
                    status: 429, json: #"{"error":{"message":"Rate limit exceeded"}}"#, headers: [("Retry-After", "2")])
                : ok()
        }
        let http = try integrationHTTP(["base_url": .string(server.baseURL)])
        let result = http.send(get("/api/now/table/x"))
        #expect(result.statusCode == 200)
        let arrivals = server.requests.map(\.receivedAt)
        #expect(arrivals.count == 2)
        let gap = arrivals[1].timeIntervalSince(arrivals[0])
        #expect(gap >= 1.95 && gap < 3.5, "second request came \(gap) s after the first")
        #expect(http.metrics.snapshot.throttledMilliseconds >= 1900)
    }

    /// After a pause the target asked for, requests go one at a time, each after the answer to the one before:
    /// callers waking together at its end would otherwise hit the target at once and be throttled again.
    @Test func afterAPauseRequestsGoOneAtATime() throws {
        let server = try RecordingServer { _, index in
            var answer = ok()
            answer.delay = 0.2
            return index == 0 ? HTTPServerResponse(status: 429, json: "{}", headers: [("Retry-After", "1")]) : answer
        }
        let http = try integrationHTTP(["base_url": .string(server.baseURL)])
        let done = DispatchSemaphore(value: 0)
        for index in 0..<4 {
            Thread.detachNewThread {
                _ = http.send(get("/r\(index)"))
                done.signal()
            }
            // The first is throttled before the others start.
            while index == 0 && http.limiter.pausedFor == .zero { Thread.sleep(forTimeInterval: 0.01) }
        }
        for _ in 0..<4 { done.wait() }
        let arrivals = server.requests.map(\.receivedAt).sorted()
        #expect(arrivals.count == 5)
        let afterPause = Array(arrivals.dropFirst())
        #expect(afterPause[0].timeIntervalSince(arrivals[0]) >= 0.95)
        for (earlier, later) in zip(afterPause, afterPause.dropFirst()) {
            #expect(later.timeIntervalSince(earlier) >= 0.19, "two requests went out together after the pause")
        }
    }

    @Test(arguments: ["http-date", "x-ratelimit-reset", "qualys"])
    func otherThrottlingSignalsPauseToo(kind: String) throws {
        let server = try RecordingServer { _, index in
            guard index == 0 else { return ok() }
            switch kind {
            case "http-date":
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "GMT")
                formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
                return HTTPServerResponse(
                    status: 503, headers: [("Retry-After", formatter.string(from: Date().addingTimeInterval(2)))])
            case "x-ratelimit-reset":
                return HTTPServerResponse(
                    status: 429, headers: [("X-RateLimit-Reset", String(Int(Date().timeIntervalSince1970) + 2))])
            default:
                return HTTPServerResponse(
                    status: 409, headers: [("X-RateLimit-ToWait-Sec", "1"), ("X-RateLimit-Limit", "300")],
                    body: Array("<SIMPLE_RETURN><RESPONSE><CODE>1965</CODE></RESPONSE></SIMPLE_RETURN>".utf8))
            }
        }
        let http = try integrationHTTP(["base_url": .string(server.baseURL)])
        #expect(http.send(get("/x")).statusCode == 200)
        let gap = server.requests[1].receivedAt.timeIntervalSince(server.requests[0].receivedAt)
        #expect(gap >= 0.9, "\(kind): second request came \(gap) s after the first")
    }

    @Test func retryAfterLongerThanACallerMayWaitIsHandedBack() throws {
        let server = try RecordingServer { _, _ in HTTPServerResponse(status: 429, headers: [("Retry-After", "120")]) }
        let http = try integrationHTTP(["base_url": .string(server.baseURL), "rate_limit": ["max_wait_ms": 500]])
        let first = http.send(get("/x"))
        #expect(first.statusCode == 429)
        #expect(first.retryAfterMilliseconds >= 119_000)
        let second = http.send(get("/x"))
        #expect(second.status == .rateLimited)
        #expect(server.requests.count == 1)
    }

    /// A pause too long to be meant (`1e20` seconds, `inf`) is the longest pause there is, not a crash of the host.
    @Test(arguments: ["1e20", "inf", "9999999999999999"])
    func anAbsurdRetryAfterIsTheLongestPause(value: String) throws {
        let server = try RecordingServer { _, _ in HTTPServerResponse(status: 429, headers: [("Retry-After", value)]) }
        let http = try integrationHTTP(["base_url": .string(server.baseURL), "rate_limit": ["max_wait_ms": 500]])
        let answer = http.send(get("/x"))
        #expect(answer.statusCode == 429)
        #expect(answer.retryAfterMilliseconds == 86_400_000)
    }

    @Test func tokenBucketPacesRequests() throws {
        let server = try RecordingServer { _, _ in ok() }
        let http = try integrationHTTP([
            "base_url": .string(server.baseURL), "rate_limit": ["requests_per_second": 10, "burst": 2],
        ])
        let started = Date()
        for _ in 0..<7 { _ = http.send(get("/x")) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.45, "7 requests at 10/s with a burst of 2 took only \(elapsed) s")
        #expect(http.metrics.snapshot.throttledMilliseconds >= 400)
    }

    @Test func priorityCallsGoBeforeWaitingTraffic() throws {
        let server = try RecordingServer { _, _ in ok() }
        let http = try integrationHTTP([
            "base_url": .string(server.baseURL), "rate_limit": ["requests_per_second": 4, "burst": 1],
        ])
        _ = http.send(get("/warmup"))  // empties the bucket
        let group = DispatchGroup()
        for index in 0..<4 {
            DispatchQueue.global().async(group: group) { _ = http.send(get("/normal-\(index)")) }
        }
        Thread.sleep(forTimeInterval: 0.1)  // the normal calls are queued now
        var critical = get("/critical")
        critical.priority = true
        _ = http.send(critical)
        group.wait()
        let order = server.requests.map(\.path)
        #expect(order.firstIndex(of: "/critical")! <= 2, "order: \(order)")
    }

    @Test func backpressureIsBounded() throws {
        let server = try RecordingServer { _, _ in ok() }
        let http = try integrationHTTP([
            "base_url": .string(server.baseURL),
            "rate_limit": ["requests_per_second": 0.5, "burst": 1, "max_wait_ms": 200],
        ])
        #expect(http.send(get("/x")).statusCode == 200)
        let refused = http.send(get("/x"))
        #expect(refused.status == .rateLimited)
        #expect(refused.retryAfterMilliseconds > 1000)
    }

    @Test func serverErrorsAreRetriedOnlyWhenSafe() throws {
        let server = try RecordingServer { request, _ in
            return HTTPServerResponse(status: 503)
        }
        let http = try integrationHTTP([
            "base_url": .string(server.baseURL), "retry": ["max_attempts": 3, "base_delay_ms": 10],
            "circuit_breaker": ["failure_threshold": 100],
        ])
        #expect(http.send(get("/read")).statusCode == 503)
        #expect(server.requests(to: "/read").count == 3)
        #expect(http.send(post("/create", "{}")).statusCode == 503)
        #expect(server.requests(to: "/create").count == 1)
        #expect(http.send(post("/upsert", "{}", idempotencyKey: "cc-42")).statusCode == 503)
        #expect(server.requests(to: "/upsert").count == 3)
        #expect(server.requests(to: "/upsert").allSatisfy { $0.header("Idempotency-Key") == "cc-42" })
        #expect(http.metrics.snapshot.retries == 4)
    }

    @Test func transientFailuresAreRetriedUntilSuccess() throws {
        let server = try RecordingServer { _, index in
            index < 2 ? HTTPServerResponse(status: 502) : ok(#"{"done":true}"#)
        }
        let http = try integrationHTTP(["base_url": .string(server.baseURL), "retry": ["base_delay_ms": 10]])
        let result = http.send(get("/x"))
        #expect(result.text == #"{"done":true}"#)
        #expect(http.metrics.snapshot.attempts == 3)
        #expect(http.metrics.snapshot.requests == 1)
        #expect(http.metrics.snapshot.failures.isEmpty)
    }

    @Test func clientErrorsAreNotRetried() throws {
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(status: 400, json: #"{"error":{"message":"bad field"}}"#)
        }
        let http = try integrationHTTP(["base_url": .string(server.baseURL)])
        #expect(http.send(get("/x")).statusCode == 400)
        #expect(server.requests.count == 1)
        #expect(http.metrics.snapshot.failures == ["client": 1])
    }

    @Test func circuitOpensFailsFastAndRecovers() throws {
        let healthy = LockedBool()
        let server = try RecordingServer { _, _ in healthy.value ? ok() : HTTPServerResponse(status: 500) }
        let http = try integrationHTTP([
            "base_url": .string(server.baseURL), "retry": ["max_attempts": 1],
            "circuit_breaker": ["failure_threshold": 3, "cooldown_ms": 300],
        ])
        for _ in 0..<3 { #expect(http.send(get("/x")).statusCode == 500) }
        let open = http.send(get("/x"))
        #expect(open.status == .circuitOpen)
        #expect(open.errorMessage?.contains("after 3 consecutive failures") == true)
        #expect(server.requests.count == 3)
        healthy.value = true
        Thread.sleep(forTimeInterval: 0.35)
        #expect(http.send(get("/x")).statusCode == 200)  // the half-open trial succeeds
        #expect(http.breaker.state == .closed)
        #expect(http.send(get("/x")).statusCode == 200)
    }
}

final class LockedBool: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = false
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// The breaker's half-open trial, as concurrent callers of one integration (a push's batches) see it.
@Suite struct CircuitBreakerTrialTests {
    func opened() -> CircuitBreaker {
        let breaker = CircuitBreaker(settings: CircuitBreakerSettings(failureThreshold: 1, coolDown: .milliseconds(50)))
        breaker.recordFailure()
        Thread.sleep(forTimeInterval: 0.06)
        return breaker
    }

    /// A call beside the trial waits for its answer: it goes once the target answered, not failed as if down.
    @Test func aCallBesideTheTrialGoesWhenTheTrialSucceeds() throws {
        let breaker = opened()
        try breaker.admit()  // the trial
        let admitted = LockedBool()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            admitted.value = (try? breaker.admit()) != nil
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.1)
        #expect(!admitted.value)  // still waiting for the trial
        breaker.recordSuccess()
        done.wait()
        #expect(admitted.value)
        #expect(breaker.state == .closed)
    }

    @Test func aCallBesideTheTrialIsRefusedWhenTheTrialFails() throws {
        let breaker = opened()
        try breaker.admit()
        let refused = LockedBool()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do { try breaker.admit() } catch { refused.value = true }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.05)
        breaker.recordFailure()
        done.wait()
        #expect(refused.value)
    }

    /// A trial that never reached the target (the rate limiter turned it away) leaves the next call to be the
    /// trial; before, the circuit stayed half-open with a trial nobody would answer, refusing every call.
    @Test func anAbandonedTrialHandsTheTrialOn() throws {
        let breaker = opened()
        try breaker.admit()
        breaker.abandon()
        try breaker.admit(waitingForTrialUpTo: .milliseconds(10))
        #expect(throws: CircuitBreaker.Open.self) { try breaker.admit(waitingForTrialUpTo: .milliseconds(10)) }
        breaker.recordSuccess()
        try breaker.admit(waitingForTrialUpTo: .milliseconds(10))
    }
}
