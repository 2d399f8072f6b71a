import JSONCore

/// How the host talks to one integration's target, read from the integration's configuration: the sections the
/// host owns (`base_url`, `auth`, `tls`, `proxy`, `timeouts`, `rate_limit`, `retry`, `circuit_breaker`) plus the
/// secrets the schema marked. Plugins never see the secret half.
public struct HTTPSettings: Sendable {
    public var baseURL: String?
    /// Origins besides the base URL's that requests may go to (credentials are attached to these too).
    public var additionalOrigins: [String] = []
    public var connectTimeout: Duration = .seconds(10)
    public var requestTimeout: Duration = .seconds(30)
    public var followRedirects = false
    public var tls = TLSSettings()
    public var proxy: String?
    public var auth: AuthMethod = .none
    public var rateLimit = RateLimitSettings()
    public var retry = RetrySettings()
    public var circuitBreaker = CircuitBreakerSettings()

    public init() {}

    public init(configuration: JSON, secrets: [String: String]) throws(ConfigurationProblem) {
        let reader = SettingsReader(configuration: configuration, secrets: secrets)
        baseURL = try reader.string("base_url")
        proxy = try reader.string("proxy")
        // None of these messages quotes the URL: it may hold a password or a token.
        // libcurl takes a proxy without a scheme (`user:pw@proxy:3128`): read as http.
        let proxyURL = proxy.map { $0.contains("://") ? $0 : "http://" + $0 }
        let origins = try reader.strings("additional_origins")
        let urls =
            [("base_url", baseURL, true), ("proxy", proxyURL, false)]
            + origins.enumerated().map { ("additional_origins[\($0.offset)]", $0.element, false) }
        for (path, url, queries) in urls
        where url.map({ ConfigurationSchema.mayCarryPassword($0, queries: queries) }) == true {
            throw ConfigurationProblem(
                path: path,
                "is a URL with a password in it (user:password@); credentials belong in auth (an @ in a path is %40)")
        }
        // Request paths are appended to the base: a query or fragment would end up in the middle of every URL (and
        // a token in one would be logged with each request).
        if let baseURL, baseURL.contains("?") || baseURL.contains("#") {
            throw ConfigurationProblem(
                path: "base_url",
                "must not have a query or fragment (\"?…\" or \"#…\"): paths are appended to it; put a token in auth")
        }
        if let baseURL, URLParts(baseURL) == nil {
            throw ConfigurationProblem(
                path: "base_url", "must be an absolute http or https URL (scheme://host[:port][/path])")
        }
        additionalOrigins = origins
        connectTimeout = try reader.milliseconds("timeouts.connect_ms") ?? connectTimeout
        requestTimeout = try reader.milliseconds("timeouts.request_ms") ?? requestTimeout
        followRedirects = try reader.bool("follow_redirects") ?? false
        tls = TLSSettings(
            verify: try reader.bool("tls.verify") ?? true, caFile: try reader.string("tls.ca_file"),
            caPEM: try reader.string("tls.ca_pem"),
            clientCertificatePEM: try reader.string("tls.client_certificate_pem"),
            clientKeyPEM: try reader.string("tls.client_key_pem"),
            clientKeyPassphrase: try reader.string("tls.client_key_passphrase"))
        if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
            throw ConfigurationProblem(
                path: "tls", "client_certificate_pem and client_key_pem go together for mutual TLS")
        }
        // OpenSSL would ask a terminal for the passphrase of an encrypted key (and the host has none to ask).
        if let key = tls.clientKeyPEM, tls.clientKeyPassphrase == nil, TLSSettings.isEncrypted(key) {
            throw ConfigurationProblem(
                path: "tls.client_key_passphrase", "is required: tls.client_key_pem is an encrypted key")
        }
        auth = try AuthMethod(reader)
        rateLimit = RateLimitSettings(
            requestsPerSecond: try reader.number("rate_limit.requests_per_second") ?? rateLimit.requestsPerSecond,
            burst: try reader.integer("rate_limit.burst") ?? rateLimit.burst,
            maximumWait: try reader.milliseconds("rate_limit.max_wait_ms") ?? rateLimit.maximumWait)
        retry = RetrySettings(
            maximumAttempts: try reader.integer("retry.max_attempts") ?? retry.maximumAttempts,
            baseDelay: try reader.milliseconds("retry.base_delay_ms") ?? retry.baseDelay,
            maximumDelay: try reader.milliseconds("retry.max_delay_ms") ?? retry.maximumDelay)
        circuitBreaker = CircuitBreakerSettings(
            failureThreshold: try reader.integer("circuit_breaker.failure_threshold")
                ?? circuitBreaker.failureThreshold,
            coolDown: try reader.milliseconds("circuit_breaker.cooldown_ms") ?? circuitBreaker.coolDown)
    }
}

public struct TLSSettings: Sendable {
    /// Whether a PEM private key is encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a traditional key's
    /// `Proc-Type: 4,ENCRYPTED` header).
    static func isEncrypted(_ pem: String) -> Bool {
        pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || pem.contains("Proc-Type: 4,ENCRYPTED")
    }

    public var verify = true
    public var caFile: String?
    public var caPEM: String?
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    public var clientKeyPassphrase: String?

    public init(
        verify: Bool = true, caFile: String? = nil, caPEM: String? = nil, clientCertificatePEM: String? = nil,
        clientKeyPEM: String? = nil, clientKeyPassphrase: String? = nil
    ) {
        self.verify = verify
        self.caFile = caFile
        self.caPEM = caPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.clientKeyPassphrase = clientKeyPassphrase
    }
}

/// Reads typed settings at dotted paths, from the public configuration or, for secret paths, from the secrets.
struct SettingsReader {
    let configuration: JSON
    let secrets: [String: String]

    func value(_ path: String) -> JSON? {
        if let secret = secrets[path] { return .string(secret) }
        guard let value = configuration[path: path], !value.isNull else { return nil }
        return value
    }

    func string(_ path: String) throws(ConfigurationProblem) -> String? {
        guard let value = value(path) else { return nil }
        guard let text = value.stringValue else {
            throw ConfigurationProblem(path: path, "must be a string, got \(value.typeName)")
        }
        return text
    }

    func requiredString(_ path: String, for purpose: String) throws(ConfigurationProblem) -> String {
        guard let text = try string(path), !text.isEmpty else {
            throw ConfigurationProblem(path: path, "is required for \(purpose)")
        }
        return text
    }

    func strings(_ path: String) throws(ConfigurationProblem) -> [String] {
        guard let value = value(path) else { return [] }
        guard let items = value.arrayValue?.compactMap(\.stringValue), items.count == value.arrayValue?.count else {
            throw ConfigurationProblem(path: path, "must be an array of strings")
        }
        return items
    }

    func bool(_ path: String) throws(ConfigurationProblem) -> Bool? {
        guard let value = value(path) else { return nil }
        guard let flag = value.boolValue else {
            throw ConfigurationProblem(path: path, "must be true or false, got \(value.typeName)")
        }
        return flag
    }

    func number(_ path: String) throws(ConfigurationProblem) -> Double? {
        guard let value = value(path) else { return nil }
        guard let number = value.doubleValue, number > 0 else {
            throw ConfigurationProblem(path: path, "must be a positive number, got \(value.serialized())")
        }
        return number
    }

    func integer(_ path: String) throws(ConfigurationProblem) -> Int? {
        guard let value = value(path) else { return nil }
        guard let number = value.intValue, number > 0 else {
            throw ConfigurationProblem(path: path, "must be a positive integer, got \(value.serialized())")
        }
        return number
    }

    func milliseconds(_ path: String) throws(ConfigurationProblem) -> Duration? {
        try integer(path).map { .milliseconds($0) }
    }
}

/// Scheme, host and port of a URL: enough to keep credentials on the integration's own origin.
struct URLParts: Equatable {
    let scheme: String
    let host: String
    let port: Int

    init?(_ url: String) {
        let lowered = url.lowercased()
        guard let schemeEnd = lowered.range(of: "://") else { return nil }
        scheme = String(lowered[..<schemeEnd.lowerBound])
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = lowered[schemeEnd.upperBound...]
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { return nil }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : (scheme == "https" ? 443 : 80)
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = Int(authority[authority.index(after: colon)...]) ?? -1
        } else {
            host = String(authority)
            port = scheme == "https" ? 443 : 80
        }
        if port < 0 { return nil }
    }

    var origin: String { "\(scheme)://\(host):\(port)" }
}
