import Foundation
import JSONCore

/// A record that failed validation: where and why. `records[3].crypto_implementation.key_size: must be a positive
/// integer, got -1`.
public struct RecordProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let location: String
    public let message: String

    public init(location: String, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// The outcome of validating one record.
public enum Validation: Sendable {
    case valid(InventoryRecord)
    case invalid([RecordProblem])
}

/// Validates raw input against the standard crypto schema and normalises it. Every problem of a record is reported,
/// not just the first, each with its field path.
public struct RecordValidator: Sendable {
    public static let protocols = ["tls": "TLS", "ssh": "SSH", "ipsec": "IPSec"]
    public static let environments = [
        "production": "production", "prod": "production", "staging": "staging", "stage": "staging",
        "development": "development", "dev": "development",
    ]
    public static let complianceValues: Set<String> = ["compliant", "non_compliant", "unknown", "not_applicable"]

    public init() {}

    /// `location` names the record in messages: `records[3]`, `line 17`.
    public func validate(_ raw: JSON, at location: String) -> Validation {
        var problems: [RecordProblem] = []
        // `records[3].asset.hostname`, but `line 7: asset.hostname` for NDJSON.
        let separator = location.hasPrefix("line ") ? ": " : "."
        func problem(_ path: String, _ message: String) {
            problems.append(RecordProblem(location: location + separator + path, message))
        }
        guard let top = raw.objectValue else {
            return .invalid([RecordProblem(location: location, "must be an object, got \(raw.typeName)")])
        }
        for key in top.keys where !["asset", "crypto_implementation", "certificate", "discovered_at", "source", "extensions"].contains(key) {
            problem(key, "is not a field of the standard crypto schema")
        }
        var document: [String: JSON] = [:]
        let reader = SectionReader(report: problem)

        if let asset = reader.section(top["asset"], "asset", required: true) {
            var out: [String: JSON?] = [:]
            reader.unknown(asset, allowed: ["id", "hostname", "ip_address", "environment", "serial_number", "mac_address"], in: "asset")
            out["id"] = reader.string(asset["id"], "asset.id")
            if let hostname = reader.string(asset["hostname"], "asset.hostname")?.stringValue {
                let lowered = hostname.lowercased()
                if Self.isHostname(lowered) { out["hostname"] = .string(lowered) } else {
                    problem("asset.hostname", "must be a host name (letters, digits, '-', '.', '_'), got \"\(hostname)\"")
                }
            }
            if let address = reader.string(asset["ip_address"], "asset.ip_address")?.stringValue {
                if let normalised = Self.normalisedIP(address) { out["ip_address"] = .string(normalised) } else {
                    problem("asset.ip_address", "must be an IPv4 or IPv6 address, got \"\(address)\"")
                }
            }
            if asset["hostname"] == nil && asset["ip_address"] == nil {
                problem("asset", "needs a hostname or an ip_address")
            }
            out["environment"] = reader.choice(asset["environment"], "asset.environment", Self.environments, "production, staging or development")
            out["serial_number"] = reader.string(asset["serial_number"], "asset.serial_number")
            if let mac = reader.string(asset["mac_address"], "asset.mac_address")?.stringValue {
                if let normalised = Self.normalisedMAC(mac) { out["mac_address"] = .string(normalised) } else {
                    problem("asset.mac_address", "must be a MAC address like 00:1a:2b:3c:4d:5e, got \"\(mac)\"")
                }
            }
            document["asset"] = .object(out.compactMapValues { $0 })
        }

        if let crypto = reader.section(top["crypto_implementation"], "crypto_implementation", required: true) {
            var out: [String: JSON?] = [:]
            reader.unknown(
                crypto, allowed: ["protocol", "protocol_version", "cipher_suite", "cipher_suites", "key_size", "risk_score", "compliance_status", "port"],
                in: "crypto_implementation")
            if crypto["protocol"] == nil { problem("crypto_implementation.protocol", "is required (TLS, SSH or IPSec)") }
            out["protocol"] = reader.choice(crypto["protocol"], "crypto_implementation.protocol", Self.protocols, "TLS, SSH or IPSec")
            out["protocol_version"] = reader.version(crypto["protocol_version"], "crypto_implementation.protocol_version")
            out["cipher_suite"] = reader.string(crypto["cipher_suite"], "crypto_implementation.cipher_suite")
            if let suites = crypto["cipher_suites"] {
                if let names = suites.arrayValue?.compactMap(\.stringValue), names.count == suites.arrayValue?.count {
                    out["cipher_suites"] = JSON(names)
                } else {
                    problem("crypto_implementation.cipher_suites", "must be an array of strings")
                }
            }
            out["key_size"] = reader.integer(crypto["key_size"], "crypto_implementation.key_size", in: 1...65536, "a positive integer")
            out["risk_score"] = reader.number(crypto["risk_score"], "crypto_implementation.risk_score", in: 0...10, "a number from 0 to 10")
            out["port"] = reader.integer(crypto["port"], "crypto_implementation.port", in: 1...65535, "a port number (1-65535)")
            out["compliance_status"] = reader.compliance(crypto["compliance_status"], "crypto_implementation.compliance_status")
            document["crypto_implementation"] = .object(out.compactMapValues { $0 })
        }

        if let certificate = reader.section(top["certificate"], "certificate", required: false) {
            var out: [String: JSON?] = [:]
            reader.unknown(
                certificate,
                allowed: ["common_name", "expiration_date", "issuer", "key_algorithm", "serial_number", "fingerprint_sha256", "signature_algorithm"],
                in: "certificate")
            out["common_name"] = reader.string(certificate["common_name"], "certificate.common_name")
            out["expiration_date"] = reader.date(certificate["expiration_date"], "certificate.expiration_date")
            out["issuer"] = reader.string(certificate["issuer"], "certificate.issuer")
            out["key_algorithm"] = reader.string(certificate["key_algorithm"], "certificate.key_algorithm").map { .string($0.stringValue!.uppercased()) }
            out["serial_number"] = reader.string(certificate["serial_number"], "certificate.serial_number")
            out["signature_algorithm"] = reader.string(certificate["signature_algorithm"], "certificate.signature_algorithm")
            if let fingerprint = reader.string(certificate["fingerprint_sha256"], "certificate.fingerprint_sha256") {
                let hex = fingerprint.stringValue!.replacingOccurrences(of: ":", with: "").lowercased()
                if hex.count == 64, hex.allSatisfy(\.isHexDigit) { out["fingerprint_sha256"] = .string(hex) } else {
                    problem("certificate.fingerprint_sha256", "must be 64 hex digits (SHA-256)")
                }
            }
            document["certificate"] = .object(out.compactMapValues { $0 })
        }
        document["discovered_at"] = reader.date(top["discovered_at"], "discovered_at", keepTime: true)
        document["source"] = reader.string(top["source"], "source")
        if let extensions = top["extensions"] {
            if extensions.objectValue != nil { document["extensions"] = extensions } else {
                problem("extensions", "must be an object")
            }
        }
        guard problems.isEmpty else { return .invalid(problems) }
        return .valid(InventoryRecord(document: .object(document.compactMapValues { $0 })))
    }

    static func isHostname(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 253
            && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F }
    }

    static func normalisedIP(_ text: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return text }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
    }

    static func normalisedMAC(_ text: String) -> String? {
        let hex = text.lowercased().filter(\.isHexDigit)
        guard hex.count == 12, text.count <= 17 else { return nil }
        var pairs: [String] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            pairs.append(String(hex[index..<next]))
            index = next
        }
        return pairs.joined(separator: ":")
    }
}

/// Typed reads of one record's fields; each failed read reports a problem at its path and yields nil.
struct SectionReader {
    let report: (String, String) -> Void

    init(report: @escaping (String, String) -> Void) { self.report = report }

    func section(_ value: JSON?, _ path: String, required: Bool) -> [String: JSON]? {
        guard let value, !value.isNull else {
            if required { report(path, "is required") }
            return nil
        }
        guard let object = value.objectValue else {
            report(path, "must be an object, got \(value.typeName)")
            return nil
        }
        return object
    }

    func unknown(_ section: [String: JSON], allowed: Set<String>, in path: String) {
        for key in section.keys.sorted() where !allowed.contains(key) {
            report("\(path).\(key)", "is not a field of the standard crypto schema")
        }
    }

    func string(_ value: JSON?, _ path: String) -> JSON? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue else {
            report(path, "must be a string, got \(value.typeName) \(value.serialized())")
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            report(path, "must not be empty")
            return nil
        }
        return .string(trimmed)
    }

    func choice(_ value: JSON?, _ path: String, _ choices: [String: String], _ expected: String) -> JSON? {
        guard let text = string(value, path)?.stringValue else { return nil }
        guard let canonical = choices[text.lowercased()] else {
            report(path, "must be \(expected), got \"\(text)\"")
            return nil
        }
        return .string(canonical)
    }

    /// Versions come as strings ("1.2") or numbers (1.2); both become strings.
    func version(_ value: JSON?, _ path: String) -> JSON? {
        guard let value, !value.isNull else { return nil }
        switch value {
        case .string(let text) where !text.isEmpty: return .string(text)
        case .integer, .number: return .string(value.serialized())
        default:
            report(path, "must be a version string such as \"1.2\", got \(value.typeName)")
            return nil
        }
    }

    func integer(_ value: JSON?, _ path: String, in range: ClosedRange<Int>, _ expected: String) -> JSON? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            report(path, "must be \(expected), got \(value.serialized())")
            return nil
        }
        return .integer(Int64(number))
    }

    func number(_ value: JSON?, _ path: String, in range: ClosedRange<Double>, _ expected: String) -> JSON? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.doubleValue, range.contains(number) else {
            report(path, "must be \(expected), got \(value.serialized())")
            return nil
        }
        return value.intValue.map { .integer(Int64($0)) } ?? .number(number)
    }

    func date(_ value: JSON?, _ path: String, keepTime: Bool = false) -> JSON? {
        guard let text = string(value, path)?.stringValue else { return nil }
        guard let date = ISODates.parse(text) else {
            report(path, "must be an ISO 8601 date such as 2026-03-14 or 2026-03-14T09:30:00Z, got \"\(text)\"")
            return nil
        }
        return .string(keepTime || text.count > 10 ? ISODates.dateTime(date) : ISODates.day(date))
    }

    func compliance(_ value: JSON?, _ path: String) -> JSON? {
        guard let value, !value.isNull else { return nil }
        if let text = value.stringValue {
            let lowered = text.lowercased()
            guard RecordValidator.complianceValues.contains(lowered) else {
                report(path, "must be compliant, non_compliant, unknown or not_applicable, got \"\(text)\"")
                return nil
            }
            return ["overall": .string(lowered)]
        }
        guard let frameworks = value.objectValue else {
            report(path, "must be an object of framework to status, got \(value.typeName)")
            return nil
        }
        var out: [String: JSON] = [:]
        for (framework, status) in frameworks {
            guard let text = status.stringValue?.lowercased(), RecordValidator.complianceValues.contains(text) else {
                report("\(path).\(framework)", "must be compliant, non_compliant, unknown or not_applicable, got \(status.serialized())")
                continue
            }
            out[framework.lowercased()] = .string(text)
        }
        return .object(out)
    }
}

/// ISO 8601 dates and date-times, parsed leniently and written canonically (UTC).
public enum ISODates {
    public static func parse(_ text: String) -> Date? {
        if text.count == 10, let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return day }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? fractional.parse(text)
    }

    public static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day())
    }

    public static func dateTime(_ date: Date) -> String { date.formatted(.iso8601) }
}
