import Foundation
import PluginABI
import PluginRuntime

/// Everything between a plugin's HTTP request and the wire, for one integration: the circuit breaker, the rate
/// limiter, authentication, the request over libcurl, classification of the answer, retries, and metrics.
/// Requests only go to the integration's own origin, so credentials cannot be sent anywhere else.
public final class IntegrationHTTP: @unchecked Sendable {
    public let integration: String
    public let settings: HTTPSettings
    public let metrics: HTTPMetrics
    public let limiter: RateLimiter
    public let breaker: CircuitBreaker
    let client: CurlClient
    let retry: RetryPolicy
    let oauth: OAuthTokens?
    let redactor: Redactor
    let userAgent: String
    let sleep: @Sendable (Duration) -> Void
    let log: HostLog?
    private let allowedOrigins: Set<String>
    /// Told when the target asks for a pause, with when it ends, so other processes can keep to it too.
    public var onPause: (@Sendable (Date) -> Void)?
    /// Whether the host is stopping: a wait for the target's pause or a retry is given up, so a stop is not held
    /// up for as long as the target asked (the request fails as rate limited, for the job to retry later).
    public var isStopping: (@Sendable () -> Bool)?
    /// Whether the caller was given up on (a stop's grace ran out): a request still out is ended at once, rather
    /// than held for as long as its timeout allows.
    public var isAbandoned: (@Sendable () -> Bool)?

    public init(
        integration: String, settings: HTTPSettings, redactor: Redactor, userAgent: String = "CryptoConnect/1.0",
        metrics: HTTPMetrics = HTTPMetrics(), retry: RetryPolicy? = nil, log: HostLog? = nil,
        sleep: @escaping @Sendable (Duration) -> Void = { Thread.sleep(forTimeInterval: $0.timeInterval) }
    ) {
        self.integration = integration
        self.log = log.map { RedactingLog($0, redactor: redactor) }
        self.settings = settings
        self.metrics = metrics
        self.redactor = redactor
        self.userAgent = userAgent
        self.sleep = sleep
        self.retry = retry ?? RetryPolicy(settings: settings.retry)
        limiter = RateLimiter(settings: settings.rateLimit)
        breaker = CircuitBreaker(settings: settings.circuitBreaker)
        client = CurlClient(settings: settings)
        if case .oauth2(let oauthSettings) = settings.auth {
            oauth = OAuthTokens(settings: oauthSettings, client: client, timeout: settings.requestTimeout)
        } else {
            oauth = nil
        }
        allowedOrigins = Set(
            ([settings.baseURL].compactMap { $0 } + settings.additionalOrigins).compactMap { URLParts($0)?.origin })
        redactor.register(settings.auth.secretValues)
        redactor.register([settings.tls.clientKeyPEM, settings.tls.clientKeyPassphrase].compactMap { $0 })
    }

    /// Keeps to a pause the target asked for before this instance existed (another process heard it).
    public func keepPause(until end: Date) {
        let left = end.timeIntervalSinceNow
        if left > 0 { limiter.pause(until: .now + .seconds(left)) }
    }

    /// Sends a request with every policy applied. Returns `.ok` with the answer for any HTTP status; a failure
    /// status only when no usable answer came (connection, TLS, timeout, circuit open, throttled too long, auth
    /// with the token endpoint, or a request the settings refuse).
    public func send(_ request: PluginHTTPRequest) -> PluginHTTPResult {
        let result = attempt(request)
        let failure: FailureClass? =
            result.status == .ok
            ? FailureClass.of(statusCode: result.statusCode, headers: result.headers)
            : FailureClass.allCases.first { $0.status == result.status }
        metrics.recordRequest(failure: failure)
        guard let message = result.errorMessage else { return result }
        var redacted = result
        redacted.errorMessage = redactor.redact(message)
        return redacted
    }

    /// Headers that say where a request goes and how it travels: the host's to set, not a plugin's. A plugin's
    /// `Host` would route a request with the integration's credentials to another site behind a shared front end.
    static let reservedHeaders: Set = [
        "host", "connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", "content-length", "expect",
    ]

    private func attempt(_ request: PluginHTTPRequest) -> PluginHTTPResult {
        let url: String
        switch resolve(request.url) {
        case .success(let resolved): url = resolved
        case .failure(let problem): return .failure(.config, problem.message)
        }
        // TRACE echoes the request, credentials and all, into the answer the plugin reads; CONNECT opens a tunnel.
        guard !["TRACE", "TRACK", "CONNECT"].contains(request.method.uppercased()) else {
            return .failure(
                .config, "method \(request.method.uppercased()) is not sent: it would echo or tunnel the request")
        }
        var request = request
        request.headers.removeAll { Self.reservedHeaders.contains($0.name.lowercased()) }
        do {
            try breaker.admit(waitingForTrialUpTo: settings.requestTimeout)
        } catch {
            return .failure(
                .circuitOpen,
                "the circuit for \(integration) is open after \(error.failures) consecutive failures; no request "
                    + "was sent (next trial in \(error.retryAfter.wholeMilliseconds) ms)",
                retryAfterMilliseconds: UInt32(clamping: error.retryAfter.wholeMilliseconds))
        }
        var attempt = 0
        var rejectedToken: String?
        var refreshedAfter401 = false
        let timeout =
            request.timeoutMilliseconds > 0 ? .milliseconds(Int(request.timeoutMilliseconds)) : settings.requestTimeout
        while true {
            attempt += 1
            let admission: RateLimiter.Admission
            do {
                admission = try limiter.acquire(priority: request.priority, stopping: isStopping)
                metrics.recordThrottled(admission.waited)
            } catch {
                breaker.abandon()  // nothing was sent, so nothing was learnt about the target
                let wait = settings.rateLimit.maximumWait.wholeMilliseconds
                return .failure(
                    .rateLimited,
                    error.stopping
                        ? "the host is stopping; \(integration) was waiting \(error.retryAfter.wholeMilliseconds) ms for "
                            + "its turn (a pause the target asked for), and tries again later"
                        : error.waitingForAnswer
                            ? "\(integration) sends one request at a time since the target asked for a pause, and the one "
                                + "before was not answered within the \(wait) ms a caller may wait"
                            : "\(integration) is throttled for another \(error.retryAfter.wholeMilliseconds) ms, longer "
                                + "than a caller may wait (\(wait) ms)",
                    retryAfterMilliseconds: UInt32(clamping: error.retryAfter.wholeMilliseconds))
            }
            var headers = request.headers
            var usedToken: String?
            do {
                if let header = try authorization(replacing: rejectedToken, used: &usedToken) {
                    headers.removeAll { $0.name.lowercased() == header.name.lowercased() }
                    headers.append(HTTPHeader(header.name, header.value))
                }
            } catch {
                limiter.release(admission)  // nothing was sent
                if CircuitBreaker.counts(error.kind) { breaker.recordFailure() } else { breaker.recordSuccess() }
                return .failure(error.kind.status, error.message)
            }
            if let key = request.idempotencyKey { headers.append(HTTPHeader("Idempotency-Key", key)) }
            if headers.value(for: "User-Agent") == nil { headers.append(HTTPHeader("User-Agent", userAgent)) }

            let started = ContinuousClock.now
            let outcome = perform(
                TransportRequest(
                    method: request.method, url: url, headers: headers, body: request.body, timeout: timeout,
                    cancelled: isAbandoned))
            // A pause the target asks for is set before the next caller in line may go.
            var retryAfter: Duration?
            if case .success(let response) = outcome {
                retryAfter = RetryAfter.delay(statusCode: response.statusCode, headers: response.headers)
                if let retryAfter { limiter.pause(until: .now + retryAfter) }
            }
            limiter.release(admission)
            // Told after the next caller may go: keeping it for other processes writes to the store.
            if let retryAfter { onPause?(Date().addingTimeInterval(retryAfter.timeInterval)) }
            switch outcome {
            case .failure(let failure):
                metrics.recordAttempt(latency: ContinuousClock.now - started, sent: 0, received: 0)
                if CircuitBreaker.counts(failure.kind) { breaker.recordFailure() } else { breaker.abandon() }
                if retry.shouldRetry(failure.kind, statusCode: 0, request: request, attempt: attempt) {
                    metrics.recordRetry()
                    let delay = retry.delay(afterAttempt: attempt)
                    note(
                        .warning,
                        "\(request.method) \(url) failed (\(failure)); retry \(attempt) in \(delay.wholeMilliseconds) ms"
                    )
                    if waits(delay) { continue }
                }
                note(.error, "\(request.method) \(url) failed: \(failure)")
                return .failure(failure.kind.status, "\(request.method) \(url): \(failure.message)")
            case .success(let response):
                metrics.recordAttempt(
                    latency: ContinuousClock.now - started, sent: response.bytesSent, received: response.bytesReceived)
                if response.statusCode == 401, oauth != nil, !refreshedAfter401 {
                    refreshedAfter401 = true  // the token may have been revoked: fetch a new one, once
                    rejectedToken = usedToken
                    metrics.recordRetry()
                    continue
                }
                let failure = FailureClass.of(statusCode: response.statusCode, headers: response.headers)
                if let failure, CircuitBreaker.counts(failure) {
                    breaker.recordFailure()
                } else {
                    breaker.recordSuccess()
                }
                if let failure,
                    retry.shouldRetry(failure, statusCode: response.statusCode, request: request, attempt: attempt),
                    (retryAfter ?? .zero) <= settings.rateLimit.maximumWait
                {
                    metrics.recordRetry()
                    // A Retry-After is waited out by the paused limiter; otherwise back off with jitter.
                    let delay = retryAfter ?? retry.delay(afterAttempt: attempt)
                    note(
                        .warning,
                        "\(request.method) \(url) answered \(response.statusCode); retry \(attempt) in \(delay.wholeMilliseconds) ms"
                    )
                    if retryAfter != nil || waits(delay) { continue }
                }
                note(failure == nil ? .debug : .warning, "\(request.method) \(url) answered \(response.statusCode)")
                return PluginHTTPResult(
                    status: .ok, statusCode: response.statusCode, headers: response.headers, body: response.body,
                    retryAfterMilliseconds: UInt32(clamping: retryAfter?.wholeMilliseconds ?? 0))
            }
        }
    }

    /// Sleeps `delay` before a retry, unless the host is stopping (looked at every 200 ms): then false, and the
    /// answer in hand is what the caller gets.
    private func waits(_ delay: Duration) -> Bool {
        guard let isStopping else {
            sleep(delay)
            return true
        }
        var left = delay
        while left > .zero, !isStopping() {
            let step = min(left, .milliseconds(200))
            sleep(step)
            left -= step
        }
        return !isStopping()
    }

    private func note(_ level: PluginLogLevel, _ message: String) {
        log?.write(LogEntry(level: level, source: "http \(integration)", message: message))
    }

    private func authorization(replacing rejected: String?, used: inout String?) throws(OAuthTokens.Failure)
        -> HTTPHeaderValue?
    {
        if let oauth {
            let token = try oauth.token(replacing: rejected, cancelled: isAbandoned)
            redactor.register(oauth.secretValues)
            used = token
            return ("Authorization", "Bearer \(token)")
        }
        return settings.auth.staticHeader
    }

    /// Performs `request`, and with `follow_redirects` the redirects it meets within the allowed origins; one to
    /// any other origin is refused, naming only the origin (a Location may carry a token).
    private func perform(_ request: TransportRequest) -> Result<TransportResponse, TransportFailure> {
        var request = request
        for _ in 0...Redirect.limit {
            let outcome = client.perform(request)
            guard settings.followRedirects, case .success(let response) = outcome,
                let next = Redirect.next(after: request, response)
            else { return outcome }
            guard let origin = URLParts(next.url)?.origin, allowedOrigins.contains(origin) else {
                return .failure(
                    TransportFailure(
                        kind: .config,
                        message:
                            "redirected to \(URLParts(next.url)?.origin ?? "an address that is not a URL"), which is "
                            + "neither the base_url origin nor one of additional_origins: credentials go nowhere else "
                            + "(add the origin to additional_origins if it is the API's)"))
            }
            request = next
        }
        return .failure(TransportFailure(kind: .config, message: "more than \(Redirect.limit) redirects in a row"))
    }

    struct URLProblem: Error {
        let message: String
    }

    func resolve(_ url: String) -> Result<String, URLProblem> {
        let lowered = url.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            guard let origin = URLParts(url)?.origin, allowedOrigins.contains(origin) else {
                return .failure(
                    URLProblem(
                        message: "refused to send a request to \(URLParts(url)?.origin ?? url): requests go only to "
                            + "the integration's base_url origin\(allowedOrigins.isEmpty ? " (none configured)" : "")"))
            }
            return .success(url)
        }
        guard let base = settings.baseURL else {
            return .failure(URLProblem(message: "the request is for \(url), but the integration has no base_url"))
        }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return .success(url.hasPrefix("/") ? trimmed + url : trimmed + "/" + url)
    }
}
