import Foundation
import JSONCore

/// One step of a field's transform chain, parsed from text such as `scale_to_100`, `truncate(40)`,
/// `default("unknown")`, `map({"TLS": "tls"})` or `format("{asset.hostname}:{port}")`.
public enum Transform: Sendable, Equatable {
    case scaleTo100
    case dateToDaysRemaining
    case uppercase
    case lowercase
    case defaultValue(JSON)
    case map([String: JSON])
    case format(String)
    case truncate(Int)
    case isoDate
    case number

    public static let names = [
        "scale_to_100", "date_to_days_remaining", "uppercase", "lowercase", "default", "map", "format", "truncate",
        "iso_date", "number",
    ]

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Parses a chain: `lowercase | truncate(40)`.
    /// With `strict`, what earlier releases let through is refused too (an empty step, a short placeholder two
    /// sections share, an unclosed brace): a mapping being saved is strict, one saved before is read as it was.
    public static func chain(_ text: String, strict: Bool = true) throws(Problem) -> [Transform] {
        var steps: [Transform] = []
        for part in splitChain(text) {
            let step = part.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !step.isEmpty else {
                guard !strict else {
                    throw Problem(description: "\(JSON.string(text).serialized()) has an empty step between its |s")
                }
                continue
            }
            steps.append(try parse(step, strict: strict))
        }
        return steps
    }

    static func parse(_ text: String, strict: Bool = true) throws(Problem) -> Transform {
        let name: String
        var argument: String?
        if let open = text.firstIndex(of: "("), !text.hasSuffix(")") {
            throw Problem(description: "\(text[..<open]): the ( is not closed in \(JSON.string(text).serialized())")
        }
        if let open = text.firstIndex(of: "("), text.hasSuffix(")") {
            name = String(text[..<open]).trimmingCharacters(in: .whitespacesAndNewlines)
            argument = String(text[text.index(after: open)..<text.index(before: text.endIndex)]).trimmingCharacters(
                in: .whitespacesAndNewlines)
        } else {
            name = text
        }
        func noArgument(_ step: Transform) throws(Problem) -> Transform {
            guard argument == nil else { throw Problem(description: "\(name) takes no argument") }
            return step
        }
        func required() throws(Problem) -> String {
            guard let argument, !argument.isEmpty else {
                throw Problem(description: "\(name) needs an argument, e.g. \(example(name))")
            }
            return argument
        }
        switch name {
        case "scale_to_100": return try noArgument(.scaleTo100)
        case "date_to_days_remaining": return try noArgument(.dateToDaysRemaining)
        case "uppercase": return try noArgument(.uppercase)
        case "lowercase": return try noArgument(.lowercase)
        case "iso_date": return try noArgument(.isoDate)
        case "number": return try noArgument(.number)
        case "default":
            let text = try required()
            return .defaultValue((try? JSON.parse(text)) ?? .string(text))
        case "map":
            guard let table = (try? JSON.parse(try required()))?.objectValue else {
                throw Problem(description: "map needs a JSON object, e.g. \(example(name))")
            }
            return .map(table)
        case "format":
            guard let template = (try? JSON.parse(try required()))?.stringValue else {
                throw Problem(description: "format needs a quoted template, e.g. \(example(name))")
            }
            if let unknown = placeholders(in: template).first(where: { !Self.canFill($0) }) {
                throw Problem(
                    description:
                        "format: {\(unknown)} is not a field of the standard crypto schema (use a path such as {asset.hostname}, a field such as {port}, or {value})"
                )
            }
            for name in placeholders(in: template) where strict {
                let sections = Self.sections.filter { StandardSchema.allows("\($0).\(name)") }
                guard !name.contains("."), sections.count > 1 else { continue }
                throw Problem(
                    description:
                        "format: {\(name)} is a field of \(sections.joined(separator: " and ")); write "
                        + sections.map { "{\($0).\(name)}" }.joined(separator: " or "))
            }
            if strict, let open = template.lastIndex(of: "{"), !template[open...].contains("}") {
                throw Problem(description: "format: a { is not closed in \(JSON.string(template).serialized())")
            }
            return .format(template)
        case "truncate":
            guard let length = Int(try required()), length > 0 else {
                throw Problem(description: "truncate needs a positive length, e.g. \(example(name))")
            }
            return .truncate(length)
        default:
            throw Problem(description: "unknown transform \"\(name)\" (known: \(names.joined(separator: ", ")))")
        }
    }

    private static func example(_ name: String) -> String {
        switch name {
        case "default": return "default(\"unknown\")"
        case "map": return #"map({"TLS": "tls", "*": "other"})"#
        case "format": return #"format("{asset.hostname}:{port}")"#
        case "truncate": return "truncate(40)"
        default: return name
        }
    }

    /// Splits on `|` outside quotes, braces and parentheses.
    private static func splitChain(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if !quoted {
                if "({[".contains(character) { depth += 1 }
                if ")}]".contains(character) { depth -= 1 }
                if character == "|" && depth == 0 {
                    parts.append(current)
                    current = ""
                    continue
                }
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    /// Applies the step. `record` and `now` serve `format` and `date_to_days_remaining`.
    func apply(_ value: JSON, record: JSON, now: Date) throws(Problem) -> JSON {
        if value.isNull {
            if case .defaultValue(let fallback) = self { return fallback }
            if case .format = self {} else { return .null }
        }
        switch self {
        case .scaleTo100:
            guard let number = value.doubleValue, (0...10).contains(number) else {
                throw Problem(description: "scale_to_100 needs a number from 0 to 10, got \(value.serialized())")
            }
            return .integer(Int64((number * 10).rounded()))
        case .dateToDaysRemaining:
            guard let text = value.stringValue, let days = DaysRemaining.until(text, now: now) else {
                throw Problem(description: "date_to_days_remaining needs an ISO date, got \(value.serialized())")
            }
            return .integer(Int64(days))
        case .uppercase, .lowercase:
            guard let text = value.stringValue else {
                throw Problem(
                    description:
                        "\(name) needs a string, got \(value.typeName)")
            }
            return .string(self == .uppercase ? text.uppercased() : text.lowercased())
        case .defaultValue:
            return value
        case .map(let table):
            let key = value.stringValue ?? value.serialized()
            guard let mapped = table[key] ?? table["*"] else {
                throw Problem(description: "map has no entry for \(value.serialized()) and no \"*\" fallback")
            }
            return mapped
        case .format(let template):
            // A field the template names and the record lacks leaves nothing to write: null, which a following
            // `default(...)` fills and which is otherwise not sent (not "web01:" with its port missing).
            return Self.fill(template, value: value, record: record).map(JSON.string) ?? .null
        case .truncate(let length):
            guard let text = value.stringValue else {
                throw Problem(description: "truncate needs a string, got \(value.typeName)")
            }
            return .string(String(text.prefix(length)))
        case .isoDate:
            guard let text = value.stringValue, let date = ISODates.parse(text) else {
                throw Problem(description: "iso_date needs a date, got \(value.serialized())")
            }
            return .string(ISODates.day(date))
        case .number:
            if value.doubleValue != nil { return value }
            guard let number = value.stringValue.flatMap(Self.number(from:)) else {
                throw Problem(description: "number needs a numeric value, got \(value.serialized())")
            }
            return number
        }
    }

    /// Decimal text as a number: a whole number exactly, as long as it fits 64 bits (a 17-digit serial stays
    /// exact), else as a double; nil for anything else (`nan`, `0x1F`).
    static func number(from text: String) -> JSON? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let whole = Int64(trimmed) { return .integer(whole) }
        guard let number = Double(decimal: trimmed) else { return nil }
        return number == number.rounded() && abs(number) < 1e15 ? .integer(Int64(number)) : .number(number)
    }

    /// The first whole second, after `now`, by which the value this step computes from `value` has changed by the
    /// clock alone; nil for steps that ignore the clock. A count of days remaining drops by one just after a whole
    /// day more has passed (whole seconds, because sync state keeps times to the second).
    func nextChange(of value: JSON, after now: Date) -> Date? {
        guard self == .dateToDaysRemaining, let text = value.stringValue else { return nil }
        return DaysRemaining.nextChange(of: text, after: now)
    }

    /// Why the step cannot take a value of the schema's `type`, or nil when it can (or the type is unknown, as for
    /// `extensions.*`): checked when a mapping is built, not at push time record by record.
    func refusal(of type: String?) -> String? {
        guard let type else { return nil }
        let text: Set = ["string", "iso_date"]
        let numbers: Set = ["integer", "number"]
        switch self {
        case .uppercase, .lowercase, .truncate:
            return text.contains(type) ? nil : "\(name) needs text"
        case .scaleTo100:
            return numbers.contains(type) ? nil : "scale_to_100 needs a number"
        case .dateToDaysRemaining, .isoDate:
            return type == "iso_date" ? nil : "\(name) needs a date"
        case .number:
            return type == "string" || numbers.contains(type) ? nil : "number needs text or a number"
        case .defaultValue, .map, .format:
            return nil
        }
    }

    /// The step's name as a mapping writes it.
    var name: String {
        switch self {
        case .scaleTo100: "scale_to_100"
        case .dateToDaysRemaining: "date_to_days_remaining"
        case .uppercase: "uppercase"
        case .lowercase: "lowercase"
        case .defaultValue: "default"
        case .map: "map"
        case .format: "format"
        case .truncate: "truncate"
        case .isoDate: "iso_date"
        case .number: "number"
        }
    }

    /// The schema type of what the step makes of a value of `type` (nil: unknown), to follow types down a chain.
    func outputType(from type: String?) -> String? {
        switch self {
        case .scaleTo100, .dateToDaysRemaining: "number"
        case .number: type == "integer" ? "integer" : "number"
        case .isoDate: "iso_date"
        case .uppercase, .lowercase, .truncate, .format: "string"
        // The value, or the fallback: one type when both are.
        case .defaultValue(let fallback): Self.union(type, Self.schemaType(of: fallback))
        // One of the table's values: one type when they all are.
        case .map(let table):
            table.values.map(Self.schemaType(of:)).reduce(table.values.first.flatMap(Self.schemaType(of:))) {
                Self.union($0, $1)
            }
        }
    }

    /// The schema type of a literal value in a mapping; nil for one no step can take further (null, lists, objects).
    static func schemaType(of value: JSON) -> String? {
        switch value {
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        default: nil
        }
    }

    /// The one type values of either type have: a number for an integer and a number; nil when they differ.
    private static func union(_ a: String?, _ b: String?) -> String? {
        if a == b { return a }
        if Set([a, b]) == ["integer", "number"] { return "number" }
        return nil
    }

    /// Whether the step, given a value of `type`, can be undone for reverse mapping; the others lose information
    /// (one-way).
    func isInvertible(from type: String?) -> Bool {
        switch self {
        // On a number it changes nothing; text made a number loses its form ("00123" comes back as "123").
        case .number: return type == "integer" || type == "number"
        case .isoDate, .scaleTo100: return true
        // One key to each value; a fallback (`"*"`) that gives a value a key also gives makes that value ambiguous.
        case .map(let table):
            return Set(table.values).count == table.count
        default: return false
        }
    }

    /// Undoes the step, giving a value of `type`, the type of what it was applied to (a port mapped to a name comes
    /// back a number).
    func applyInverse(_ value: JSON, to type: String?) throws(Problem) -> JSON {
        switch self {
        case .scaleTo100:
            guard let number = value.doubleValue else {
                throw Problem(description: "expected a number 0-100, got \(value.serialized())")
            }
            let scaled = number / 10
            return scaled == scaled.rounded() ? .integer(Int64(scaled)) : .number(scaled)
        case .map(let table):
            // A target may give back as text (`"1"`) what the map made a number, or the other way round.
            func text(_ value: JSON) -> String { value.stringValue ?? value.serialized() }
            let key =
                table.first { $0.key != "*" && $0.value == value }?.key
                ?? table.first { $0.key != "*" && text($0.value) == text(value) }?.key
            guard let key else {
                throw Problem(description: "no map entry produces \(value.serialized())")
            }
            switch type {
            case "integer": return Int64(key).map(JSON.integer) ?? .string(key)
            case "number": return Double(decimal: key).map { JSON($0) } ?? .string(key)
            default: return .string(key)
            }
        default:
            return value
        }
    }

    /// The names between braces in a template, in order.
    static func placeholders(in template: String) -> [String] {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = rest[rest.index(after: open)..<close]
            names.append(String(name.hasSuffix("?") ? name.dropLast() : name))  // `{path?}` may be missing
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// Whether `fill` can find `name` in a standard-schema record.
    static func canFill(_ name: String) -> Bool {
        name == "value" || StandardSchema.allows(name)
            || sections.contains { StandardSchema.allows("\($0).\(name)") }
    }

    private static let sections = ["asset", "crypto_implementation", "certificate"]

    /// Fills `{path}` placeholders from the record: a full path, or a field of one of the sections, or `{value}`;
    /// nil when the record has no value for one of them.
    static func fill(_ template: String, value: JSON, record: JSON) -> String? {
        var output = ""
        var rest = Substring(template)
        var (filled, skipped) = (0, 0)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            output += rest[..<open]
            var name = String(rest[rest.index(after: open)..<close])
            let optional = name.hasSuffix("?")
            if optional { name.removeLast() }
            var found = name == "value" ? value : FieldMapping.lookup(record, FieldMapping.keys(of: name))
            for section in sections where found.isNull && name != "value" {
                found = FieldMapping.lookup(record, FieldMapping.keys(of: "\(section).\(name)"))
            }
            rest = rest[rest.index(after: close)...]
            guard !found.isNull else {
                guard optional else { return nil }
                skipped += 1
                continue
            }
            filled += 1
            output += found.stringValue ?? found.serialized()
        }
        output += rest
        // Every field it names missing, a template makes nothing: null, which a following `default(...)` fills.
        guard filled > 0 || skipped == 0 else { return nil }
        // An optional field left out leaves no stray space around it ("TLS port 443", not "TLS  port 443").
        guard skipped > 0 else { return output }
        return output.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
