import Foundation

/// Conditions for `inventory list`: `protocol=TLS`, `hostname=web*`, `risk_score>=7`, `expires_within_days=30`,
/// `compliance=non_compliant`, `cipher_suite=*3DES*` (the suite named, or any in `cipher_suites`). Text matches
/// ignore case. Values are bound, never spliced into SQL.
public struct InventoryFilter: Sendable {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    static let textColumns: Set<String> = [
        "hostname", "ip_address", "environment", "serial_number", "mac_address", "protocol", "protocol_version",
        "compliance", "id", "cipher_suite", "key_algorithm",
    ]
    /// Fields kept only in the record's document: read from it (inventory queries scan a tenant anyway).
    static let documentFields = ["key_algorithm": "json_extract(document, '$.certificate.key_algorithm')"]
    static let numberColumns: Set<String> = ["port", "key_size", "risk_score"]

    private var clauses: [String] = []
    private var arguments: [String] = []
    private let now: Date

    public init(now: Date = Date()) { self.now = now }

    /// Parses `field=value`, `field!=value`, `field>=n`, `field<=n`, `field>n`, `field<n`; `*` in a text value
    /// matches anything.
    public init(_ expressions: [String], now: Date = Date()) throws(Problem) {
        self.init(now: now)
        for expression in expressions { try add(expression) }
    }

    public mutating func add(_ expression: String) throws(Problem) {
        guard
            let match = ["!=", ">=", "<=", "=", ">", "<"].lazy.compactMap({ op in
                expression.range(of: op).map { (op, $0) }
            }).first
        else {
            throw Problem(
                description: "filter \"\(expression)\" must look like field=value, field>=number or field<=number")
        }
        let field = expression[..<match.1.lowerBound].trimmingCharacters(in: .whitespaces).lowercased()
        let value = expression[match.1.upperBound...].trimmingCharacters(in: .whitespaces)
        let op = match.0
        if field == "expires_within_days" {
            guard op == "=" else {
                throw Problem(
                    description: "filter expires_within_days takes = and a number of days, e.g. "
                        + "expires_within_days=30; got \(op)")
            }
            // Past the calendar's years either way, every certificate (or none) is meant: bounded, so the day
            // compared with stays a date.
            guard let days = Double(decimal: value), abs(days) <= Self.maximumDays else {
                throw Problem(
                    description:
                        "filter expires_within_days takes a number of days up to \(Int(Self.maximumDays)) either way, "
                        + "e.g. expires_within_days=30; got \"\(value)\"")
            }
            // The records whose `DaysRemaining` is at most `days`: a date alone by the calendar day it falls on,
            // a date with a time by the time left.
            let whole = days.rounded(.down)
            clauses.append(
                """
                (length(certificate_expires) = 10 AND certificate_expires <= ?
                    OR length(certificate_expires) > 10 AND certificate_expires < ?)
                """)
            arguments.append(ISODates.day(now.addingTimeInterval(whole * DaysRemaining.day)))
            arguments.append(ISODates.dateTime(now.addingTimeInterval((whole + 1) * DaysRemaining.day)))
        } else if Self.numberColumns.contains(field) {
            guard let number = Double(decimal: value) else {
                throw Problem(description: "filter \(field) compares numbers; \"\(value)\" is not one")
            }
            // As with text, a record without the field is not equal to the value: `!=` keeps it.
            clauses.append(
                op == "!=" ? "(\(field) IS NULL OR \(field) != CAST(? AS REAL))" : "\(field) \(op) CAST(? AS REAL)")
            arguments.append(String(number))
        } else if field == "environment", !value.contains("*") {
            // The names an ingest accepts (`prod`, `dev`) stand for the environment stored.
            guard op == "=" || op == "!=" else { throw Problem(description: "filter \(field) takes = or != only") }
            guard let environment = RecordValidator.environments[value.lowercased()] else {
                throw Problem(
                    description: "filter environment takes production, staging or development; got \"\(value)\"")
            }
            clauses.append(op == "=" ? "environment = ?" : "environment IS NOT ?")
            arguments.append(environment)
        } else if field == "cipher_suite" {
            guard op == "=" || op == "!=" else { throw Problem(description: "filter \(field) takes = or != only") }
            // The suite a record names, or any of the suites it offers: `!=` keeps records offering none of them.
            let pattern = value.contains("*")
            func test(_ expression: String) -> String {
                pattern ? "lower(\(expression)) GLOB ?" : "\(expression) = ? COLLATE NOCASE"
            }
            let offered = """
                (coalesce(\(test("json_extract(document, '$.crypto_implementation.cipher_suite')")), 0) OR EXISTS (
                    SELECT 1 FROM json_each(document, '$.crypto_implementation.cipher_suites')
                    WHERE \(test("value"))))
                """
            clauses.append(op == "=" ? offered : "NOT \(offered)")
            arguments += Array(repeating: pattern ? value.lowercased() : value, count: 2)
        } else if field == "protocol_version" {
            // Compared as versions, however the scanner wrote them: `1.2` finds `TLSv1.2` and `TLS_1_2`. A pattern
            // matches the version as written or as a number (`1.*`).
            guard op == "=" || op == "!=" else { throw Problem(description: "filter \(field) takes = or != only") }
            let version = "cc_protocol_version(protocol_version)"
            if value.contains("*") {
                let matches = "(lower(protocol_version) GLOB ? OR \(version) GLOB ?)"
                clauses.append(op == "=" ? matches : "(protocol_version IS NULL OR NOT \(matches))")
                arguments += [value.lowercased(), value.lowercased()]
            } else {
                clauses.append("\(version) \(op == "=" ? "=" : "IS NOT") ?")
                arguments.append(ProtocolVersion.normalised(value))
            }
        } else if Self.textColumns.contains(field) {
            guard op == "=" || op == "!=" else { throw Problem(description: "filter \(field) takes = or != only") }
            let value = value.contains("*") ? value : try Self.asStored(value, field)
            let column = Self.documentFields[field] ?? field
            // A record without the field is not equal to the value: `!=` keeps it (SQL's `!=` would drop it).
            // Patterns ignore case, as `=` does.
            if value.contains("*") {
                clauses.append(
                    op == "=" ? "lower(\(column)) GLOB ?" : "(\(column) IS NULL OR lower(\(column)) NOT GLOB ?)")
                arguments.append(value.lowercased())
            } else {
                clauses.append("\(column) \(op == "=" ? "=" : "IS NOT") ? COLLATE NOCASE")
                arguments.append(value)
            }
        } else {
            let known = (Self.textColumns.union(Self.numberColumns).union(["expires_within_days"])).sorted()
            throw Problem(
                description: "filter field \"\(field)\" is unknown; use one of \(known.joined(separator: ", "))")
        }
    }

    /// A value as an ingest stores it, so it finds what the ingest wrote (`00-1A-2B-...` a MAC written with colons,
    /// `web01.example.com.` without DNS's dot, `::ffff:10.0.0.9` as IPv4); a protocol or compliance status no
    /// record can hold is refused rather than finding nothing.
    private static func asStored(_ value: String, _ field: String) throws(Problem) -> String {
        switch field {
        case "mac_address": return RecordValidator.normalisedMAC(value) ?? value
        case "ip_address": return RecordValidator.normalisedIP(value) ?? value
        case "hostname": return value.hasSuffix(".") ? String(value.dropLast()) : value
        case "protocol":
            // The stored names only: an alias an ingest reads (`SSLv3`) is no protocol of its own to filter by.
            guard let stored = RecordValidator.storedProtocols[value.lowercased()] else {
                throw Problem(description: "filter protocol takes TLS, SSH or IPSec; got \"\(value)\"")
            }
            return stored
        case "compliance":
            let statuses = ["compliant", "non_compliant", "unknown"]  // a record's summary over its frameworks
            guard statuses.contains(value.lowercased()) else {
                throw Problem(
                    description: "filter compliance takes \(statuses.joined(separator: ", ")); got \"\(value)\"")
            }
            return value
        default: return value
        }
    }

    /// Within a thousand years of today, the store's dates stay in the years 0001 to 9999.
    static let maximumDays = 365_000.0

    var sql: (String, [String]) {
        (clauses.isEmpty ? "" : "AND " + clauses.joined(separator: " AND "), arguments)
    }
}
