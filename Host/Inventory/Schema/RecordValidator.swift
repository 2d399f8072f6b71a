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
    /// The protocols a record may name, by the names scanners use: SSL is TLS's family (an SSL version is kept as
    /// the version, for its alert), IKE is IPsec's key exchange. DTLS is not TLS here: its endpoint would take the
    /// natural key of the TLS one on the same host and port.
    public static let protocols = storedProtocols.merging([
        "ssl": "TLS", "sslv2": "TLS", "sslv3": "TLS", "ssl2": "TLS", "ssl3": "TLS", "ike": "IPSec", "ikev1": "IPSec",
        "ikev2": "IPSec",
    ]) { stored, _ in stored }
    /// `IKEv1` or `IKEv2` for a protocol named so (any case, spaces ignored), else nil.
    static func ikeVersion(named written: String) -> String? {
        let named = written.utf8.filter { $0 != 0x20 }.map { $0 | 0x20 }
        guard named.count == 5, named.starts(with: "ikev".utf8), let digit = named.last,
            digit == UInt8(ascii: "1") || digit == UInt8(ascii: "2")
        else { return nil }
        return "IKEv" + String(UnicodeScalar(digit))
    }
    /// The protocols as the store keeps them, by their lower-case names.
    public static let storedProtocols = ["tls": "TLS", "ssh": "SSH", "ipsec": "IPSec"]
    public static let environments = [
        "production": "production", "prod": "production", "staging": "staging", "stage": "staging",
        "development": "development", "dev": "development",
    ]
    public static let complianceValues: Set<String> = ["compliant", "non_compliant", "unknown", "not_applicable"]
    static let topLevelFields: Set<String> = [
        "asset", "crypto_implementation", "certificate", "discovered_at", "source", "extensions",
    ]
    static let assetFields: Set<String> = [
        "id", "hostname", "ip_address", "environment", "serial_number", "mac_address",
    ]
    static let cryptoFields: Set<String> = [
        "protocol", "protocol_version", "cipher_suite", "cipher_suites", "key_size", "risk_score", "compliance_status",
        "port",
    ]
    static let certificateFields: Set<String> = [
        "common_name", "expiration_date", "issuer", "key_algorithm", "serial_number", "fingerprint_sha256",
        "signature_algorithm",
    ]

    /// Discovery times later than this are refused: a scanner whose clock is years ahead would otherwise make its
    /// record's every later scan look older, and so never applied.
    let latestDiscovery: String?

    /// The latest discovery time an ingest at `now` takes, as stored text (ISO-8601 in UTC sorts as time): a day of
    /// clock skew is allowed.
    public static func latestDiscovery(at now: Date) -> String { ISODates.dateTime(now.addingTimeInterval(86_400)) }

    /// `ingestedAt`: when the records are ingested, for their discovery times (a day's clock skew is allowed);
    /// nil for records the store already holds.
    public init(ingestedAt: Date? = nil) {
        latestDiscovery = ingestedAt.map(Self.latestDiscovery(at:))
    }

    /// `location` names the record in messages: `records[3]`, `line 17`.
    public func validate(_ raw: JSON, at location: String) -> Validation {
        var problems: [RecordProblem] = []
        // `records[3].asset.hostname`, but `line 7: asset.hostname` for NDJSON and `components[2] (bom-ref tls): ...`.
        let separator = location.hasSuffix("]") ? "." : ": "
        func problem(_ path: String, _ message: String) {
            problems.append(RecordProblem(location: location + separator + path, message))
        }
        guard let top = raw.objectValue else {
            return .invalid([RecordProblem(location: location, "must be an object, got \(raw.typeName)")])
        }
        for key in top.keys where !Self.topLevelFields.contains(key) {
            problem(key, "is not a field of the standard crypto schema")
        }
        let reader = SectionReader(report: problem)
        // Sections are filled in the byte order of their keys, so the canonical bytes need no sorting.
        var asset = OrderedObject()
        var crypto = OrderedObject()
        var certificate: OrderedObject?

        if let fields = reader.section(top["asset"], "asset", required: true) {
            reader.unknown(fields, allowed: Self.assetFields, in: "asset")
            asset.set(
                "environment",
                reader.choice(
                    fields["environment"], "asset.environment", Self.environments, "production, staging or development")
            )
            if let hostname = reader.string(fields["hostname"], "asset.hostname")?.stringValue {
                // `web01.example.com.` (the absolute form DNS tools print) is the same host as without the dot.
                let lowered = hostname.hasSuffix(".") ? String(hostname.lowercased().dropLast()) : hostname.lowercased()
                if Self.isHostname(lowered) {
                    asset.set("hostname", .string(lowered))
                } else {
                    problem(
                        "asset.hostname",
                        "must be a host name (letters, digits, '-', '_' in dot-separated labels not beginning or ending with '-'), got \"\(hostname)\""
                    )
                }
            }
            asset.set("id", reader.string(fields["id"], "asset.id"))
            if let address = reader.string(fields["ip_address"], "asset.ip_address")?.stringValue {
                if let normalised = Self.normalisedIP(address) {
                    asset.set("ip_address", .string(normalised))
                } else {
                    problem("asset.ip_address", "must be an IPv4 or IPv6 address, got \"\(address)\"")
                }
            }
            if let mac = reader.string(fields["mac_address"], "asset.mac_address")?.stringValue {
                if let normalised = Self.normalisedMAC(mac) {
                    asset.set("mac_address", .string(normalised))
                } else {
                    problem("asset.mac_address", "must be a MAC address like 00:1a:2b:3c:4d:5e, got \"\(mac)\"")
                }
            }
            asset.set("serial_number", reader.string(fields["serial_number"], "asset.serial_number"))
            if fields["hostname"]?.isNull ?? true, fields["ip_address"]?.isNull ?? true {
                problem("asset", "needs a hostname or an ip_address")
            }
        }

        if let fields = reader.section(top["crypto_implementation"], "crypto_implementation", required: true) {
            reader.unknown(fields, allowed: Self.cryptoFields, in: "crypto_implementation")
            crypto.set("cipher_suite", reader.string(fields["cipher_suite"], "crypto_implementation.cipher_suite"))
            if let suites = fields["cipher_suites"] {
                if let names = suites.arrayValue?.compactMap(\.stringValue), names.count == suites.arrayValue?.count {
                    if let (index, control) = names.enumerated().lazy.compactMap({ entry in
                        SectionReader.controlCharacter(in: entry.element).map { (entry.offset, $0) }
                    }).first {
                        problem(
                            "crypto_implementation.cipher_suites[\(index)]",
                            "must not contain control characters (found \(control))")
                    } else {
                        crypto.set("cipher_suites", JSON(names))
                    }
                } else {
                    problem("crypto_implementation.cipher_suites", "must be an array of strings")
                }
            }
            crypto.set(
                "compliance_status",
                reader.compliance(fields["compliance_status"], "crypto_implementation.compliance_status"))
            if let size = fields["key_size"]?.intValue, size > 65536 {
                problem("crypto_implementation.key_size", "must be at most 65536 bits, got \(size)")
            } else {
                crypto.set(
                    "key_size",
                    reader.integer(
                        fields["key_size"], "crypto_implementation.key_size", in: 1...65536, "a positive integer"))
            }
            crypto.set(
                "port",
                reader.integer(fields["port"], "crypto_implementation.port", in: 1...65535, "a port number (1-65535)"))
            if fields["protocol"]?.isNull ?? true {
                problem("crypto_implementation.protocol", "is required (TLS, SSH or IPSec)")
            }
            crypto.set(
                "protocol",
                reader.choice(fields["protocol"], "crypto_implementation.protocol", Self.protocols, "TLS, SSH or IPSec")
            )
            var version = reader.version(fields["protocol_version"], "crypto_implementation.protocol_version")
            // `SSLv3` named as the protocol is TLS's family at version SSLv3: what its alert and a filter read.
            if let written = fields["protocol"]?.stringValue,
                written.utf8.drop(while: { $0 == 0x20 }).prefix(3).lazy.map({ $0 | 0x20 }).elementsEqual("ssl".utf8),
                case let named = written.trimmingCharacters(in: .whitespaces).lowercased()
            {
                // `SSLv3` names its version; plain `SSL` is what many scanners call SSL/TLS as a whole, so a version
                // given with it stays as written unless it is one only SSL had (2.0, 3.0).
                let number = named.dropFirst(3).drop { $0 == "v" }
                let given = version?.stringValue
                if !number.isEmpty {
                    if given?.lowercased().hasPrefix("ssl") != true { version = .string("SSLv" + number) }
                } else if let given {
                    if ["2.0", "3.0"].contains(ProtocolVersion.normalised(given)) { version = .string("SSLv" + given) }
                } else {
                    version = "SSL"
                }
            } else if version == nil, let written = fields["protocol"]?.stringValue,
                let ike = Self.ikeVersion(named: written)
            {
                version = .string(ike)  // `IKEv1` named as the protocol is IPsec keyed by IKEv1: a version to keep
            }
            crypto.set("protocol_version", version)
            crypto.set(
                "risk_score",
                reader.number(
                    fields["risk_score"], "crypto_implementation.risk_score", in: 0...10, "a number from 0 to 10"))
        }

        if let fields = reader.section(top["certificate"], "certificate", required: false) {
            var out = OrderedObject()
            reader.unknown(fields, allowed: Self.certificateFields, in: "certificate")
            out.set("common_name", reader.string(fields["common_name"], "certificate.common_name"))
            out.set("expiration_date", reader.date(fields["expiration_date"], "certificate.expiration_date"))
            if let fingerprint = reader.string(fields["fingerprint_sha256"], "certificate.fingerprint_sha256")?
                .stringValue
            {
                let hex = fingerprint.replacingOccurrences(of: ":", with: "").lowercased()
                if hex.count == 64, hex.allSatisfy(\.isHexDigit) {
                    out.set("fingerprint_sha256", .string(hex))
                } else {
                    problem("certificate.fingerprint_sha256", "must be 64 hex digits (SHA-256)")
                }
            }
            out.set("issuer", reader.string(fields["issuer"], "certificate.issuer"))
            out.set(
                "key_algorithm",
                reader.string(fields["key_algorithm"], "certificate.key_algorithm")?.stringValue.map {
                    .string(Self.keyAlgorithm($0))
                })
            out.set("serial_number", reader.string(fields["serial_number"], "certificate.serial_number"))
            out.set(
                "signature_algorithm", reader.string(fields["signature_algorithm"], "certificate.signature_algorithm"))
            certificate = out
        }
        var discoveredAt = reader.date(top["discovered_at"], "discovered_at", keepTime: true)?.stringValue
        // Compared as text: ISO-8601 in UTC sorts as time, and a date alone sorts before that day's times.
        if let text = discoveredAt, let latest = latestDiscovery, text > latest {
            problem("discovered_at", "is in the future (\(text)); the scanner's clock or the date is wrong")
            discoveredAt = nil
        }
        let source = reader.string(top["source"], "source")
        var extensions: JSON?
        if let value = top["extensions"] {
            if value.objectValue == nil {
                problem("extensions", "must be an object")
            } else if let (path, control) = Self.controlCharacter(in: value, at: "extensions") {
                // Pushed to a CMDB through a mapping, an extension is shown there as any name is.
                problem(path, "must not contain control characters (found \(control))")
            } else {
                extensions = value
            }
        }
        guard problems.isEmpty else { return .invalid(problems) }
        return .valid(
            InventoryRecord(
                asset: asset, crypto: crypto, certificate: certificate, extensions: extensions, source: source,
                discoveredAt: discoveredAt))
    }

    /// The first key or text under `value` holding a control character, with its path.
    static func controlCharacter(in value: JSON, at path: String) -> (String, String)? {
        switch value {
        case .string(let text): return SectionReader.controlCharacter(in: text).map { (path, $0) }
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = controlCharacter(in: item, at: "\(path)[\(index)]") { return found }
            }
        case .object(let members):
            for key in members.keys.sorted() {
                if let control = SectionReader.controlCharacter(in: key) {
                    return ("\(path) key \(JSON.string(key).serialized())", control)
                }
                if let found = controlCharacter(in: members[key]!, at: "\(path).\(key)") { return found }
            }
        default: break
        }
        return nil
    }

    /// A key algorithm as its family is called (`RSA`), also when written as X.509 names it (`rsaEncryption`,
    /// `id-ecPublicKey`).
    static func keyAlgorithm(_ name: String) -> String {
        let upper = name.uppercased()
        return x509KeyAlgorithms[upper] ?? upper
    }

    private static let x509KeyAlgorithms = [
        "RSAENCRYPTION": "RSA", "ID-DSA": "DSA", "DSAENCRYPTION": "DSA", "ID-ECPUBLICKEY": "EC", "ECPUBLICKEY": "EC",
        "ID-ED25519": "ED25519", "ID-ED448": "ED448", "SSH-RSA": "RSA", "SSH-DSS": "DSA",
    ]

    /// Letters, digits, `-` and `_`, in dot-separated labels of 1-63 that neither begin nor end with `-`.
    static func isHostname(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253,
            text.utf8.allSatisfy({
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F
            })
        else { return false }
        var length = 0
        var previous: UInt8 = 0x2E
        for byte in text.utf8 {
            if byte == 0x2E {
                guard length > 0, previous != 0x2D else { return false }  // an empty label, or one ending in '-'
                length = 0
            } else {
                if length == 0, byte == 0x2D { return false }  // a label beginning with '-'
                length += 1
                if length > 63 { return false }
            }
            previous = byte
        }
        return length > 0 && previous != 0x2D
    }

    static func normalisedIP(_ text: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return text }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
        // An IPv4 address written as IPv6 (`::ffff:10.0.0.9`, as dual-stack sockets report peers) is that address.
        if let written, written.hasPrefix("::ffff:"), inet_pton(AF_INET, String(written.dropFirst(7)), &v4) == 1 {
            return String(written.dropFirst(7))
        }
        return written
    }

    static func normalisedMAC(_ text: String) -> String? {
        // ASCII only: `Character.isHexDigit` takes fullwidth digits too, which would never match the ASCII form.
        func isHex(_ character: Character) -> Bool { character.isASCII && character.isHexDigit }
        let hex = text.lowercased().filter(isHex)
        guard hex.count == 12, text.count <= 17, text.allSatisfy({ isHex($0) || ":-.".contains($0) }) else {
            return nil
        }
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
        guard !section.keys.allSatisfy(allowed.contains) else { return }
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
        let trimmed = Self.trimmed(text)
        guard !trimmed.isEmpty else {
            report(path, "must not be empty")
            return nil
        }
        // A line break or terminal escape in a name would break the inventory's table and reach a terminal.
        if let control = Self.controlCharacter(in: trimmed) {
            report(path, "must not contain control characters (found \(control))")
            return nil
        }
        return .string(trimmed)
    }

    /// The first control character, read in place: every string of every record is checked.
    /// The first character a name must not hold, described: an ASCII control (a line break, an escape), a C1
    /// control (U+0080-U+009F, which terminals also obey) or a bidirectional override, which shows text in another
    /// order than it is stored. Scans the bytes: this runs for every string of every record.
    static func controlCharacter(in text: String) -> String? {
        func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
            // Plain printable ASCII, nearly all text, is passed in one tight loop.
            guard bytes.contains(where: { $0 < 0x20 || $0 >= 0x7F }) else { return nil }
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x20 || byte == 0x7F { return describe(byte) }
                // The lead bytes of C1 controls (C2 80-9F) and of the overrides (E2 80 AA-AE, E2 81 A6-A9).
                if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                    return "U+00" + String(bytes[index + 1], radix: 16, uppercase: true) + ", a C1 control character"
                }
                if byte == 0xE2, index + 2 < bytes.count {
                    let (second, third) = (bytes[index + 1], bytes[index + 2])
                    if second == 0x80 && (0xAA...0xAE).contains(third)
                        || second == 0x81 && (0xA6...0xA9).contains(third)
                    {
                        return "a bidirectional override"
                    }
                }
                index += 1
            }
            return nil
        }
        if let found = text.utf8.withContiguousStorageIfAvailable(scan) { return found }
        return Array(text.utf8).withUnsafeBufferPointer(scan)
    }

    static func describe(_ control: UInt8) -> String {
        switch control {
        case 0x0A: "a line break"
        case 0x09: "a tab"
        case 0x1B: "an escape character"
        default: "byte 0x" + String(control, radix: 16, uppercase: true)
        }
    }

    /// `text` without surrounding ASCII spaces and tabs; free when there are none, which is nearly always
    /// (Foundation's trimming costs more than validating the whole record).
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return text }
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        guard blank(first) || blank(last) else { return text }
        return String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    func choice(_ value: JSON?, _ path: String, _ choices: [String: String], _ expected: String) -> JSON? {
        guard let text = string(value, path)?.stringValue else { return nil }
        guard let canonical = choices[text.lowercased()] else {
            report(path, "must be \(expected), got \"\(text)\"")
            return nil
        }
        return .string(canonical)
    }

    /// Versions come as strings ("1.2", trimmed as other names are) or numbers (1.2); both become strings.
    func version(_ value: JSON?, _ path: String) -> JSON? {
        guard let value, !value.isNull else { return nil }
        switch value {
        case .string: return string(value, path)
        case .integer: return .string(value.serialized())
        // 1.0 is "1.0", as the version is written, not "1".
        case .number(let number) where number == number.rounded(): return .string(String(format: "%.1f", number))
        case .number: return .string(value.serialized())
        default:
            report(path, "must be a version string such as \"1.2\", got \(value.typeName) \(value.serialized())")
            return nil
        }
    }

    func integer(_ value: JSON?, _ path: String, in range: ClosedRange<Int>, _ expected: String) -> JSON? {
        guard let value, !value.isNull else { return nil }
        if case .number(let number) = value, !number.isFinite {
            report(path, "must be \(expected), got a number too large to hold")
            return nil
        }
        guard let number = value.intValue, range.contains(number) else {
            report(path, "must be \(expected), got \(value.serialized())")
            return nil
        }
        return .integer(Int64(number))
    }

    func number(_ value: JSON?, _ path: String, in range: ClosedRange<Double>, _ expected: String) -> JSON? {
        guard let value, !value.isNull else { return nil }
        if case .number(let number) = value, !number.isFinite {
            report(path, "must be \(expected), got a number too large to hold")
            return nil
        }
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
        var out = [String: JSON](minimumCapacity: frameworks.count)
        var valid = 0
        for (framework, status) in frameworks {
            let name = Self.trimmed(framework).lowercased()
            guard !name.isEmpty else {
                report(path, "names a framework with an empty name; name each framework (pci_dss, hipaa, ...)")
                continue
            }
            if let control = Self.controlCharacter(in: name) {
                report(
                    path,
                    "framework name \(JSON.string(framework).serialized()) must not contain control characters "
                        + "(found \(control))")
                continue
            }
            guard let text = status.stringValue?.lowercased(), RecordValidator.complianceValues.contains(text) else {
                report(
                    "\(path).\(framework)",
                    "must be compliant, non_compliant, unknown or not_applicable, got \(status.serialized())")
                continue
            }
            out[name] = .string(text)
            valid += 1
        }
        // Framework names are stored trimmed and in lower case: two that differ only in case or spaces would
        // overwrite each other, the survivor chosen by dictionary order. Rare, so worked out only when the count
        // says so.
        if out.count < valid {
            let groups = Dictionary(grouping: frameworks.keys.sorted(), by: { Self.trimmed($0).lowercased() }).filter {
                $0.value.count > 1
            }
            for names in groups.values.sorted(by: { $0[0] < $1[0] }) {
                for name in names.dropFirst() {
                    report(
                        "\(path).\(name)",
                        "names the same framework as \"\(names[0])\" (names ignore case and surrounding spaces); "
                            + "give each framework once")
                }
            }
            return nil
        }
        return .object(out)
    }
}
