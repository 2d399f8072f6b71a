import Foundation
import JSONCore
import PluginRuntime

/// Knows the secret values the host holds and blanks them out of any text: log lines, error messages, CLI and API
/// output. Values shorter than 4 characters are not matched (they would blank ordinary words).
public final class Redactor: @unchecked Sendable {
    public static let mask = "[REDACTED]"
    private let lock = NSLock()
    private var values: Set<String> = []
    /// `values`, longest first (so a secret that contains another is blanked whole): sorted once per registration,
    /// not for every line redacted.
    private var ordered: [String] = []

    public init() {}

    /// Registers each secret with the forms a target or a URL may echo it in: percent-encoded (as in a query, a
    /// form body or a Location), form-encoded (spaces as `+`) and JSON-escaped.
    public func register(_ secrets: some Sequence<String>) {
        lock.withLock {
            let before = values.count
            for secret in secrets where secret.count >= 4 {
                values.insert(secret)
                values.formUnion(Self.encodings(of: secret))
            }
            if values.count != before { ordered = values.sorted { $0.count > $1.count } }
        }
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encodings(of secret: String) -> Set<String> {
        var forms: Set<String> = []
        // Encoders differ in what they leave alone.
        func and(_ characters: String) -> CharacterSet { CharacterSet(charactersIn: characters) }
        let encoders = [
            unreserved,  // RFC 3986
            unreserved.union(and("/")),  // Python's quote
            unreserved.union(and("!*'()")),  // JavaScript's encodeURIComponent
            unreserved.union(and("*")).subtracting(and("~")),  // Java's URLEncoder
            unreserved.subtracting(and("~")),  // form encoders
        ]
        for set in encoders {
            guard let encoded = secret.addingPercentEncoding(withAllowedCharacters: set) else { continue }
            forms.insert(encoded)
            forms.insert(encoded.replacingOccurrences(of: "%20", with: "+"))
            forms.insert(lowercasingEscapes(encoded))  // `%2f`, as some servers write them
        }
        // An HTML page quoting it (an error page), and base64 (a token a server built of it).
        let html = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&quot;"), ("'", "&#39;")].reduce(secret) {
            $0.replacingOccurrences(of: $1.0, with: $1.1)
        }
        forms.insert(html)
        forms.insert(Data(secret.utf8).base64EncodedString())
        var escaped: [UInt8] = []
        JSON.writeString(secret, to: &escaped)
        let json = String(decoding: escaped.dropFirst().dropLast(), as: UTF8.self)
        forms.insert(json)
        forms.insert(json.replacingOccurrences(of: "/", with: "\\/"))  // `\/`, as PHP and some Java write JSON
        forms.remove(secret)
        return forms
    }

    private static func lowercasingEscapes(_ text: String) -> String {
        var result = ""
        var escapeDigits = 0
        for character in text {
            if character == "%" {
                escapeDigits = 2
                result.append(character)
            } else if escapeDigits > 0 {
                result += character.lowercased()
                escapeDigits -= 1
            } else {
                result.append(character)
            }
        }
        return result
    }

    public func redact(_ text: String) -> String {
        let known = lock.withLock { ordered }
        guard !known.isEmpty else { return text }
        var result = text
        for secret in known where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        return result
    }
}

/// A log that passes every line through a `Redactor` before writing it.
public struct RedactingLog: HostLog {
    public let base: HostLog
    public let redactor: Redactor

    public init(_ base: HostLog, redactor: Redactor) {
        self.base = base
        self.redactor = redactor
    }

    public func write(_ entry: LogEntry) {
        base.write(LogEntry(level: entry.level, source: entry.source, message: redactor.redact(entry.message)))
    }
}
