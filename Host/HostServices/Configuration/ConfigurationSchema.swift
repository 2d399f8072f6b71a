import JSONCore
import PluginABI

/// A problem with a configuration, naming the field: `auth.password: is required`.
public struct ConfigurationProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path.isEmpty ? "configuration" : path): \(message)" }
}

/// Checks a configuration against a plugin's JSON Schema (the subset manifests use: type, properties, required,
/// enum, items, minimum, maximum, additionalProperties) and separates the secrets from the rest.
public struct ConfigurationSchema: Sendable {
    public let schema: JSON

    public init(_ schema: JSON) { self.schema = schema }

    /// Field names that hold credentials. One of them outside a field the schema marks `"x-secret": true` is
    /// refused, so a credential can never travel to a plugin or into a log by being put in the wrong place.
    static let credentialNames: Set<String> = [
        "password", "passwd", "secret", "client_secret", "token", "access_token", "refresh_token", "api_key",
        "apikey", "key", "private_key", "client_key_pem", "client_key_passphrase", "passphrase",
    ]

    /// Every problem, in path order; empty when the configuration is valid.
    public func problems(in configuration: JSON) -> [ConfigurationProblem] {
        var found: [ConfigurationProblem] = []
        check(configuration, against: schema, path: "", into: &found)
        return found.sorted { $0.path < $1.path }
    }

    /// The configuration with the schema's `default`s filled in where it leaves a property out (a connector's own
    /// rate limit, say), inside objects it leaves out too: what the integration is saved with, so `integrations
    /// show` says what it runs with.
    /// A plugin names defaults for its own properties and for `rate_limit`; the host's other connection settings
    /// (where requests go, TLS, proxy, authentication, redirects, retries) never take one: a new build of a plugin
    /// could otherwise send an integration's credentials to a host of its choosing.
    public func applyingDefaults(to configuration: JSON) -> JSON {
        guard case .object(var properties)? = schema["properties"] else { return configuration }
        for name in ConnectionSchema.properties().keys where name != "rate_limit" { properties[name] = nil }
        var ownSchema = schema.objectValue ?? [:]
        ownSchema["properties"] = .object(properties)
        return Self.fill(configuration, from: .object(ownSchema)) ?? configuration
    }

    /// `value` (nil when absent) with the defaults of `schema` filled in; nil when absent and nothing is filled.
    private static func fill(_ value: JSON?, from schema: JSON) -> JSON? {
        guard value == nil || value?.objectValue != nil, let properties = schema["properties"]?.objectValue else {
            return value ?? schema["default"]
        }
        var object = value?.objectValue ?? [:]
        for (name, property) in properties {
            if let filled = fill(object[name], from: property) { object[name] = filled }
        }
        return value == nil && object.isEmpty ? nil : .object(object)
    }

    /// Dotted paths of the properties marked `"x-secret": true`, e.g. `auth.password`.
    public var secretPaths: [String] { PluginManifest.secretPaths(in: schema) }

    /// The configuration without its secrets (what the plugin receives) and the secrets by path (what the host
    /// keeps sealed and uses itself). Throws the problems if the configuration is invalid.
    public func split(_ configuration: JSON) throws(ConfigurationProblems) -> (public: JSON, secrets: [String: String])
    {
        let problems = problems(in: configuration)
        guard problems.isEmpty else { throw ConfigurationProblems(problems: problems) }
        var secrets: [String: String] = [:]
        var stripped = configuration
        for path in secretPaths {
            guard let value = configuration[path: path] else { continue }
            secrets[path] = value.stringValue ?? value.serialized()
            stripped = stripped.removing(path: path)
        }
        return (stripped, secrets)
    }

    private func check(_ value: JSON, against schema: JSON, path: String, into found: inout [ConfigurationProblem]) {
        // A secret field is sealed, so a password in its URL (a DSN) is where it belongs.
        if let text = value.stringValue, Self.carriesPassword(text), schema["x-secret"]?.boolValue != true {
            found.append(passwordInURL(path))
            return
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            let choices = allowed.map { $0.serialized() }.joined(separator: ", ")
            found.append(ConfigurationProblem(path: path, "must be one of \(choices), got \(value.serialized())"))
            return
        }
        if let type = schema["type"]?.stringValue, !Self.matches(value, type: type) {
            found.append(
                ConfigurationProblem(path: path, "must be \(Self.article(type)) \(type), got \(value.typeName)"))
            return
        }
        if let number = value.doubleValue {
            if let minimum = schema["minimum"]?.doubleValue, number < minimum {
                found.append(ConfigurationProblem(path: path, "must be at least \(JSON.number(minimum).serialized())"))
            }
            if let maximum = schema["maximum"]?.doubleValue, number > maximum {
                found.append(ConfigurationProblem(path: path, "must be at most \(JSON.number(maximum).serialized())"))
            }
        }
        if let items = value.arrayValue {
            for (index, item) in items.enumerated() {
                if let itemSchema = schema["items"] {
                    check(item, against: itemSchema, path: "\(path)[\(index)]", into: &found)
                } else {
                    findCredentials(in: item, named: "", path: "\(path)[\(index)]", into: &found)
                }
            }
        }
        guard let fields = value.objectValue else { return }
        let properties = schema["properties"]?.objectValue ?? [:]
        for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where fields[name] == nil {
            found.append(ConfigurationProblem(path: join(path, name), "is required"))
        }
        let closed = schema["additionalProperties"]?.boolValue == false
        for (name, field) in fields {
            let fieldPath = join(path, name)
            guard let property = properties[name] else {
                if closed {
                    found.append(ConfigurationProblem(path: fieldPath, "is not a field of this plugin's configuration"))
                } else {
                    findCredentials(in: field, named: name, path: fieldPath, into: &found)
                }
                continue
            }
            if Self.credentialNames.contains(name.lowercased()), property["x-secret"]?.boolValue != true,
                !field.isNull, field.objectValue == nil
            {
                found.append(credentialMisplaced(fieldPath))
                continue
            }
            check(field, against: property, path: fieldPath, into: &found)
        }
    }

    /// A field the schema does not describe travels to the plugin as it is, so no credential may hide in it.
    private func findCredentials(
        in value: JSON, named name: String, path: String, into found: inout [ConfigurationProblem]
    ) {
        if Self.credentialNames.contains(name.lowercased()), !value.isNull, value.objectValue == nil {
            found.append(credentialMisplaced(path))
        } else if let text = value.stringValue, Self.carriesPassword(text) {
            found.append(passwordInURL(path))
        }
        for (child, field) in value.objectValue ?? [:] {
            findCredentials(in: field, named: child, path: join(path, child), into: &found)
        }
        for (index, item) in (value.arrayValue ?? []).enumerated() {
            findCredentials(in: item, named: "", path: "\(path)[\(index)]", into: &found)
        }
    }

    private func credentialMisplaced(_ path: String) -> ConfigurationProblem {
        let allowed =
            secretPaths.isEmpty
            ? "this plugin takes no credentials" : "secret fields: \(secretPaths.joined(separator: ", "))"
        return ConfigurationProblem(
            path: path, "looks like a credential but is not a secret field of this plugin's schema (\(allowed))")
    }

    /// The value is never quoted: it holds the password.
    private func passwordInURL(_ path: String) -> ConfigurationProblem {
        let allowed =
            secretPaths.isEmpty
            ? "this plugin takes no credentials" : "put it in a secret field: \(secretPaths.joined(separator: ", "))"
        return ConfigurationProblem(
            path: path,
            "is a URL with a password in it (scheme://user:password@host), which would be stored and logged in clear; \(allowed)"
        )
    }

    /// `https://user:password@host/...`: user information with a password before the host.
    public static func carriesPassword(_ text: String) -> Bool {
        guard let scheme = text.range(of: "://") else { return false }
        let authority = text[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }

    /// Stricter, for the URLs the host itself connects through (`base_url`, `proxy`): any `user:…@` before the
    /// query, even where the password holds a `/` (`https://admin:pa/ss@host`), which a parser would take apart
    /// differently but which is a password all the same. A path with an `@` after a port reads so too; `%40` spells it.
    /// `queries: false` for a URL that has no query (a proxy, an origin): a `?` there is a password's.
    public static func mayCarryPassword(_ text: String, queries: Bool = true) -> Bool {
        guard let scheme = text.range(of: "://") else { return false }
        let rest = text[scheme.upperBound...].prefix { !queries || ($0 != "?" && $0 != "#") }
        guard let at = rest.lastIndex(of: "@") else { return false }
        return rest[..<at].contains(":")
    }

    private func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }

    static func matches(_ value: JSON, type: String) -> Bool {
        switch type {
        case "object": return value.objectValue != nil
        case "array": return value.arrayValue != nil
        case "string": return value.stringValue != nil
        case "boolean": return value.boolValue != nil
        case "integer": return value.intValue != nil
        case "number": return value.doubleValue != nil
        case "null": return value.isNull
        default: return true
        }
    }

    private static func article(_ type: String) -> String { "aeiou".contains(type.first ?? "x") ? "an" : "a" }
}

/// Several configuration problems at once, so a user fixes them in one go.
public struct ConfigurationProblems: Error, Sendable, CustomStringConvertible {
    public let problems: [ConfigurationProblem]
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}

extension JSON {
    /// A copy without the value at a dotted path.
    func removing(path: String) -> JSON {
        guard case .object(var fields) = self else { return self }
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 1 {
            fields[parts[0]] = nil
        } else if let child = fields[parts[0]] {
            fields[parts[0]] = child.removing(path: parts[1])
        }
        return .object(fields)
    }
}
