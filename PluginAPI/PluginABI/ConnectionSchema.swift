import JSONCore

/// The configuration sections the host owns for any connector that speaks HTTP: where the target is, how to
/// authenticate, TLS, proxy, timeouts, rate limit, retries and circuit breaker. A plugin puts them in its
/// configuration schema with `ConnectionSchema.properties(auth:)`; the host reads them, injects authentication
/// itself and passes the plugin the rest without the secrets.
public enum ConnectionSchema {
    public enum AuthMethod: String, Sendable, CaseIterable {
        case none
        case apiKey = "api_key"
        case basic
        case bearer
        case oauth2ClientCredentials = "oauth2_client_credentials"
        case oauth2Password = "oauth2_password"
    }

    /// Properties to merge into a plugin's configuration schema.
    public static func properties(auth methods: [AuthMethod] = AuthMethod.allCases) -> [String: JSON] {
        let secret: (String) -> JSON = { ["type": "string", "x-secret": true, "description": .string($0)] }
        let text: (String) -> JSON = { ["type": "string", "description": .string($0)] }
        let milliseconds: (String) -> JSON = { ["type": "integer", "minimum": 1, "description": .string($0)] }
        return [
            "base_url": text("The target's base URL, e.g. https://dev12345.service-now.com"),
            "additional_origins": [
                "type": "array", "items": ["type": "string"],
                "description": "Other origins the connector may call with the same credentials",
            ],
            "auth": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "type": ["type": "string", "enum": .array(methods.map { .string($0.rawValue) })],
                    "username": text("User (basic, oauth2_password)"),
                    "password": secret("Password (basic, oauth2_password)"),
                    "header": text("Header carrying the key (api_key); default X-API-Key"),
                    "prefix": text("Text before the key in the header (api_key), e.g. Token"),
                    "key": secret("API key (api_key)"),
                    "token": secret("Bearer token (bearer)"),
                    "token_url": text("OAuth token endpoint"),
                    "client_id": text("OAuth client id"),
                    "client_secret": secret("OAuth client secret"),
                    "scope": text("OAuth scope"),
                    "client_authentication": ["type": "string", "enum": ["body", "basic"]],
                ],
            ],
            "tls": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "verify": ["type": "boolean", "description": "Verify the server certificate (default true)"],
                    "ca_file": text("CA bundle file (PEM) to trust instead of the system's"),
                    "ca_pem": text("CA certificates (PEM) to trust instead of the system's"),
                    "client_certificate_pem": text("Client certificate for mutual TLS (PEM)"),
                    "client_key_pem": secret("Client private key for mutual TLS (PEM)"),
                    "client_key_passphrase": secret("Passphrase of the client key"),
                ],
            ],
            "proxy": text("HTTP proxy URL"),
            "follow_redirects": ["type": "boolean", "description": "Follow redirects (default false)"],
            "timeouts": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "connect_ms": milliseconds("Connect timeout (default 10000)"),
                    "request_ms": milliseconds("Whole-request timeout (default 30000)"),
                ],
            ],
            "rate_limit": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "requests_per_second": ["type": "number", "minimum": 0.001],
                    "burst": ["type": "integer", "minimum": 1],
                    "max_wait_ms": milliseconds("How long a call may wait for its turn (default 30000)"),
                ],
            ],
            "retry": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "max_attempts": ["type": "integer", "minimum": 1, "maximum": 10],
                    "base_delay_ms": milliseconds("First backoff cap (default 200)"),
                    "max_delay_ms": milliseconds("Largest backoff (default 10000)"),
                ],
            ],
            "circuit_breaker": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "failure_threshold": ["type": "integer", "minimum": 1],
                    "cooldown_ms": milliseconds("Open time before a trial request (default 30000)"),
                ],
            ],
        ]
    }

    /// A whole configuration schema: the connection sections plus the connector's own properties. `rateLimit` is
    /// the target's own limit, the default an integration is added with (the host's is 20 requests a second).
    public static func schema(
        auth methods: [AuthMethod] = AuthMethod.allCases, properties extra: [String: JSON] = [:],
        required: [String] = ["base_url", "auth"], rateLimit: (requestsPerSecond: Double, burst: Int)? = nil
    ) -> JSON {
        var connection = properties(auth: methods)
        if let rateLimit, case .object(var section)? = connection["rate_limit"],
            case .object(var fields)? = section["properties"]
        {
            // Defaults on the host's own properties, so the section stays the host's.
            func setDefault(_ name: String, _ value: JSON) {
                guard case .object(var field)? = fields[name] else { return }
                field["default"] = value
                fields[name] = .object(field)
            }
            setDefault("requests_per_second", .number(rateLimit.requestsPerSecond))
            setDefault("burst", .integer(Int64(rateLimit.burst)))
            section["properties"] = .object(fields)
            connection["rate_limit"] = .object(section)
        }
        return [
            "type": "object", "additionalProperties": false,
            "required": JSON(required),
            "properties": .object(connection.merging(extra) { _, connector in connector }),
        ]
    }
}
