import Foundation
import JSONCore

/// How the host authenticates an integration's requests. Built from the `auth` section; holds secrets, so it is
/// never logged or printed (its description names only the method).
public enum AuthMethod: Sendable, CustomStringConvertible {
    case none
    /// A key in a header: `X-API-Key: k`, or with a prefix such as `Authorization: Token k`.
    case apiKey(header: String, prefix: String?, key: String)
    case basic(username: String, password: String)
    case bearer(token: String)
    case oauth2(OAuthSettings)

    public var description: String {
        switch self {
        case .none: return "none"
        case .apiKey(let header, _, _): return "api_key (\(header))"
        case .basic(let username, _): return "basic (\(username))"
        case .bearer: return "bearer"
        case .oauth2(let settings): return "oauth2 \(settings.grant.name)"
        }
    }

    init(_ reader: SettingsReader) throws(ConfigurationProblem) {
        let type = try reader.string("auth.type") ?? "none"
        switch type {
        case "none":
            self = .none
        case "api_key":
            self = .apiKey(
                header: try reader.string("auth.header") ?? "X-API-Key", prefix: try reader.string("auth.prefix"),
                key: try reader.requiredString("auth.key", for: "api_key authentication"))
        case "basic":
            self = .basic(
                username: try reader.requiredString("auth.username", for: "basic authentication"),
                password: try reader.requiredString("auth.password", for: "basic authentication"))
        case "bearer":
            self = .bearer(token: try reader.requiredString("auth.token", for: "bearer authentication"))
        case "oauth2_client_credentials", "oauth2_password":
            let grant: OAuthSettings.Grant =
                type == "oauth2_password"
                ? .password(
                    username: try reader.requiredString("auth.username", for: "the OAuth password grant"),
                    password: try reader.requiredString("auth.password", for: "the OAuth password grant"))
                : .clientCredentials
            let tokenURL = try reader.requiredString("auth.token_url", for: "OAuth")
            guard URLParts(tokenURL) != nil else {
                throw ConfigurationProblem(path: "auth.token_url", "must be an absolute http or https URL")
            }
            let clientAuthentication = try reader.string("auth.client_authentication") ?? "body"
            guard clientAuthentication == "body" || clientAuthentication == "basic" else {
                throw ConfigurationProblem(path: "auth.client_authentication", "must be \"body\" or \"basic\"")
            }
            self = .oauth2(
                OAuthSettings(
                    grant: grant, tokenURL: tokenURL,
                    clientID: try reader.requiredString("auth.client_id", for: "OAuth"),
                    clientSecret: try reader.requiredString("auth.client_secret", for: "OAuth"),
                    scope: try reader.string("auth.scope"), clientSecretInBasicHeader: clientAuthentication == "basic"))
        default:
            throw ConfigurationProblem(
                path: "auth.type",
                "must be none, api_key, basic, bearer, oauth2_client_credentials or oauth2_password, got \"\(type)\"")
        }
    }

    /// The header this method adds, for methods that need no token exchange.
    var staticHeader: HTTPHeaderValue? {
        switch self {
        case .none, .oauth2: return nil
        case .apiKey(let header, let prefix, let key): return (header, prefix.map { "\($0) \(key)" } ?? key)
        case .basic(let username, let password): return ("Authorization", Self.basic(username, password))
        case .bearer(let token): return ("Authorization", "Bearer \(token)")
        }
    }

    /// The secret values this method holds, for redaction.
    var secretValues: [String] {
        switch self {
        case .none: return []
        case .apiKey(_, _, let key): return [key]
        case .basic(let username, let password):
            let header = Self.basic(username, password)
            return [password, header, String(header.dropFirst("Basic ".count))]
        case .bearer(let token): return [token]
        case .oauth2(let settings):
            // The token request's own Basic header too, when the client's secret goes in one.
            let header = Self.basic(settings.clientID, settings.clientSecret)
            var values = [settings.clientSecret, header, String(header.dropFirst("Basic ".count))]
            if case .password(_, let password) = settings.grant { values.append(password) }
            return values
        }
    }

    static func basic(_ username: String, _ password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

typealias HTTPHeaderValue = (name: String, value: String)

public struct OAuthSettings: Sendable {
    public enum Grant: Sendable {
        case clientCredentials
        case password(username: String, password: String)

        var name: String {
            switch self {
            case .clientCredentials: return "client_credentials"
            case .password: return "password"
            }
        }
    }

    public var grant: Grant
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: String
    public var scope: String?
    /// Send the client id and secret as HTTP Basic (RFC 6749 2.3.1) instead of form fields.
    public var clientSecretInBasicHeader: Bool
}
