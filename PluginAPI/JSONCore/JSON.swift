/// A JSON value. Records, configurations and every document that crosses the plugin boundary are JSON, so both
/// sides share this one small type instead of Foundation's `Any`-based parser.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits 64 bits.
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])
}

extension JSON {
    public subscript(key: String) -> JSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    /// Follows a dotted path such as `crypto_implementation.key_size`.
    public subscript(path path: String) -> JSON? {
        var current = self
        var rest = Substring(path)
        while true {
            let dot = rest.firstIndex(of: ".")
            guard case .object(let fields) = current, let next = fields[String(rest[..<(dot ?? rest.endIndex)])] else {
                return nil
            }
            guard let dot else { return next }
            current = next
            rest = rest[rest.index(after: dot)...]
        }
    }

    /// The document with `value` at a dotted path, objects made on the way where there were none (or other values).
    public func setting(path: String, to value: JSON) -> JSON {
        setting(keys: path.split(separator: ".").map(String.init)[...], to: value)
    }

    /// The value under `keys`, one object level each (a key may hold a dot).
    public subscript(keys keys: ArraySlice<String>) -> JSON? {
        guard let key = keys.first else { return self }
        return objectValue?[key]?[keys: keys.dropFirst()]
    }

    /// The document with `value` under `keys`, one object level each (a key may hold a dot).
    public func setting(keys: ArraySlice<String>, to value: JSON) -> JSON {
        guard let key = keys.first else { return value }
        var object = objectValue ?? [:]
        object[key] = (object[key] ?? [:]).setting(keys: keys.dropFirst(), to: value)
        return .object(object)
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as an integer when it is one exactly (`2048` or `2048.0`).
    public var intValue: Int? {
        switch self {
        case .integer(let value): return Int(exactly: value)
        case .number(let value): return Int(exactly: value)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }

    public var arrayValue: [JSON]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var objectValue: [String: JSON]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the value's type, for error messages: "string", "integer", "object"...
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSON {
    public init(_ value: String?) { self = value.map(JSON.string) ?? .null }
    public init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    public init(_ value: Double?) { self = value.map(JSON.number) ?? .null }
    public init(_ value: Bool?) { self = value.map(JSON.bool) ?? .null }
    public init(_ values: [String]) { self = .array(values.map(JSON.string)) }
    public init(_ fields: [String: JSON]) { self = .object(fields) }
}
