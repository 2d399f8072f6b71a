import JSONCore

/// The part of GraphQL a Data API client sends: one query or mutation with variables, aliases, arguments (scalars,
/// enums, lists, input objects, variables) and nested selections. Fragments and directives are refused by name.
struct GraphQLOperation: Sendable {
    enum Kind: String, Sendable { case query, mutation }

    let kind: Kind
    let selections: [GraphQLField]
    /// Default values of the declared variables.
    let defaults: [String: JSON]
}

struct GraphQLField: Sendable {
    let alias: String?
    let name: String
    let arguments: [String: GraphQLValue]
    let selections: [GraphQLField]
    var responseKey: String { alias ?? name }

    func argument(_ name: String, _ variables: [String: JSON]) throws(GraphQLError) -> JSON? {
        try arguments[name]?.resolve(variables)
    }
}

indirect enum GraphQLValue: Sendable {
    case variable(String)
    case literal(JSON)
    case list([GraphQLValue])
    case object([(String, GraphQLValue)])

    func resolve(_ variables: [String: JSON]) throws(GraphQLError) -> JSON {
        switch self {
        case .variable(let name):
            guard let value = variables[name] else { throw GraphQLError("Variable \"$\(name)\" is not provided") }
            return value
        case .literal(let json): return json
        case .list(let items):
            var out: [JSON] = []
            for item in items { out.append(try item.resolve(variables)) }
            return .array(out)
        case .object(let fields):
            var out: [String: JSON] = [:]
            for (name, value) in fields { out[name] = try value.resolve(variables) }
            return .object(out)
        }
    }
}

struct GraphQLError: Error, Sendable, CustomStringConvertible {
    let message: String
    var location: (line: Int, column: Int)?
    init(_ message: String, at location: (line: Int, column: Int)? = nil) {
        self.message = message
        self.location = location
    }
    var description: String { message }
}

/// A recursive-descent parser over the document's UTF-8 bytes.
struct GraphQLParser {
    private let bytes: [UInt8]
    private var position = 0

    static func parse(_ text: String, operationName: String? = nil) throws(GraphQLError) -> GraphQLOperation {
        var parser = GraphQLParser(bytes: Array(text.utf8))
        var operations: [(name: String?, operation: GraphQLOperation)] = []
        parser.skipIgnored()
        while parser.position < parser.bytes.count {
            operations.append(try parser.operation())
            parser.skipIgnored()
        }
        guard !operations.isEmpty else { throw GraphQLError("Syntax Error: the document has no operation") }
        if let operationName {
            guard let found = operations.first(where: { $0.name == operationName }) else {
                throw GraphQLError("Unknown operation named \"\(operationName)\"")
            }
            return found.operation
        }
        guard operations.count == 1 else {
            throw GraphQLError("Must provide operation name if query contains multiple operations")
        }
        return operations[0].operation
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func operation() throws(GraphQLError) -> (String?, GraphQLOperation) {
        var kind = GraphQLOperation.Kind.query
        var name: String?
        var defaults: [String: JSON] = [:]
        if peek() != UInt8(ascii: "{") {
            let word = try self.name()
            guard let parsed = GraphQLOperation.Kind(rawValue: word) else {
                throw syntax(word == "subscription" ? "subscriptions are not supported" : "Unexpected Name \"\(word)\"")
            }
            kind = parsed
            if let next = peek(), Self.isNameStart(next) { name = try self.name() }
            if peek() == UInt8(ascii: "(") { defaults = try variableDefinitions() }
        }
        return (name, GraphQLOperation(kind: kind, selections: try selectionSet(), defaults: defaults))
    }

    private mutating func variableDefinitions() throws(GraphQLError) -> [String: JSON] {
        try expect("(")
        var defaults: [String: JSON] = [:]
        while peek() != UInt8(ascii: ")") {
            try expect("$")
            let variable = try name()
            try expect(":")
            try skipType()
            if peek() == UInt8(ascii: "=") {
                position += 1
                defaults[variable] = try value().resolve([:])
            }
        }
        try expect(")")
        return defaults
    }

    private mutating func skipType() throws(GraphQLError) {
        if peek() == UInt8(ascii: "[") {
            position += 1
            try skipType()
            try expect("]")
        } else {
            _ = try name()
        }
        if peek() == UInt8(ascii: "!") { position += 1 }
    }

    private mutating func selectionSet() throws(GraphQLError) -> [GraphQLField] {
        try expect("{")
        var fields: [GraphQLField] = []
        while peek() != UInt8(ascii: "}") {
            guard peek() != nil else { throw syntax("Expected \"}\", found <EOF>") }
            if peek() == UInt8(ascii: ".") { throw syntax("fragments are not supported by this API") }
            fields.append(try field())
        }
        try expect("}")
        guard !fields.isEmpty else { throw syntax("Expected Name, found \"}\"") }
        return fields
    }

    private mutating func field() throws(GraphQLError) -> GraphQLField {
        var alias: String?
        var name = try self.name()
        if peek() == UInt8(ascii: ":") {
            position += 1
            alias = name
            name = try self.name()
        }
        var arguments: [String: GraphQLValue] = [:]
        if peek() == UInt8(ascii: "(") {
            position += 1
            while peek() != UInt8(ascii: ")") {
                let argument = try self.name()
                try expect(":")
                arguments[argument] = try value()
            }
            try expect(")")
        }
        if peek() == UInt8(ascii: "@") { throw syntax("directives are not supported by this API") }
        let selections = peek() == UInt8(ascii: "{") ? try selectionSet() : []
        return GraphQLField(alias: alias, name: name, arguments: arguments, selections: selections)
    }

    private mutating func value() throws(GraphQLError) -> GraphQLValue {
        guard let first = peek() else { throw syntax("Expected a value, found <EOF>") }
        switch first {
        case UInt8(ascii: "$"):
            position += 1
            return .variable(try name())
        case UInt8(ascii: "\""): return .literal(.string(try string()))
        case UInt8(ascii: "["):
            position += 1
            var items: [GraphQLValue] = []
            while peek() != UInt8(ascii: "]") {
                guard peek() != nil else { throw syntax("Expected \"]\", found <EOF>") }
                items.append(try value())
            }
            position += 1
            return .list(items)
        case UInt8(ascii: "{"):
            position += 1
            var fields: [(String, GraphQLValue)] = []
            while peek() != UInt8(ascii: "}") {
                guard peek() != nil else { throw syntax("Expected \"}\", found <EOF>") }
                let key = try name()
                try expect(":")
                fields.append((key, try value()))
            }
            position += 1
            return .object(fields)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .literal(try number())
        default:
            let word = try name()
            switch word {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "null": return .literal(.null)
            default: return .literal(.string(word))  // an enum value, as its name
            }
        }
    }

    private mutating func number() throws(GraphQLError) -> JSON {
        let start = position
        while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if let integer = Int(text) { return JSON(integer) }
        guard let double = Double(text) else { throw syntax("Invalid number \"\(text)\"") }
        return .number(double)
    }

    private mutating func string() throws(GraphQLError) -> String {
        position += 1
        var out: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { break }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                        let scalar = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
                            .flatMap(Unicode.Scalar.init)
                    else { throw syntax("Invalid unicode escape") }
                    out += Array(String(Character(scalar)).utf8)
                    position += 4
                default: out.append(escaped)
                }
            case 10: throw syntax("Unterminated string")
            default: out.append(byte)
            }
        }
        throw syntax("Unterminated string")
    }

    private mutating func name() throws(GraphQLError) -> String {
        skipIgnored()
        let start = position
        guard position < bytes.count, Self.isNameStart(bytes[position]) else {
            throw syntax("Expected Name, found \(describeNext())")
        }
        while position < bytes.count, Self.isNameStart(bytes[position]) || Self.isDigit(bytes[position]) {
            position += 1
        }
        let word = String(decoding: bytes[start..<position], as: UTF8.self)
        skipIgnored()
        return word
    }

    private mutating func expect(_ punctuator: Character) throws(GraphQLError) {
        skipIgnored()
        guard position < bytes.count, bytes[position] == punctuator.asciiValue! else {
            throw syntax("Expected \"\(punctuator)\", found \(describeNext())")
        }
        position += 1
        skipIgnored()
    }

    private mutating func peek() -> UInt8? {
        skipIgnored()
        return position < bytes.count ? bytes[position] : nil
    }

    /// White space, commas and comments are insignificant in GraphQL.
    private mutating func skipIgnored() {
        while position < bytes.count {
            switch bytes[position] {
            case 9, 10, 13, 32, UInt8(ascii: ","): position += 1
            case UInt8(ascii: "#"): while position < bytes.count, bytes[position] != 10 { position += 1 }
            default: return
            }
        }
    }

    private func describeNext() -> String {
        position < bytes.count ? "\"\(Character(Unicode.Scalar(bytes[position])))\"" : "<EOF>"
    }

    private func syntax(_ message: String) -> GraphQLError {
        var line = 1
        var column = 1
        for byte in bytes[0..<min(position, bytes.count)] {
            if byte == 10 {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return GraphQLError("Syntax Error: \(message)", at: (line, column))
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
    }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    private static func isNumberByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
            || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+")
    }
}
