/// Why a document is not JSON, and where: `line 3, column 17: expected ',' or '}' after an object member`.
public struct JSONParseError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public let offset: Int
    public let line: Int
    public let column: Int
    /// The member name an object repeats, when that is the fault (`DuplicateKeys.refused`): the text is JSON, but
    /// one of the values would be lost.
    public var repeatedName: String? = nil

    public var description: String { "line \(line), column \(column): \(message)" }
}

extension JSON {
    /// Parses one JSON document; anything but whitespace after it is an error.
    public static func parse(_ text: String) throws(JSONParseError) -> JSON {
        var copy = text
        return try copy.withUTF8 { bytes in Result { () throws(JSONParseError) in try parse(bytes) } }.get()
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        try parse(bytes, duplicateKeys: .lastWins)
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSON {
        try parse(bytes, duplicateKeys: .lastWins)
    }

    /// `duplicateKeys`: what a member name repeated within one object does. JSON leaves it open; most readers keep
    /// the last value, which loses the first without a word. Input a user hands in refuses it instead.
    public static func parse(_ bytes: [UInt8], duplicateKeys: DuplicateKeys) throws(JSONParseError) -> JSON {
        try bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) in try parse(buffer, duplicateKeys: duplicateKeys) }
        }.get()
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, duplicateKeys: DuplicateKeys)
        throws(JSONParseError) -> JSON
    {
        var parser = JSONParser(bytes: bytes, refusesDuplicateKeys: duplicateKeys == .refused)
        return try parser.parseDocument()
    }

    public enum DuplicateKeys: Sendable {
        /// The last value of a repeated name is kept (what most JSON readers do).
        case lastWins
        /// A repeated name is an error, at the place it repeats.
        case refused
    }
}

/// A recursive-descent parser over UTF-8 bytes. Strings without escapes are decoded in one step.
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    private static let maximumDepth = 512

    private let refusesDuplicateKeys: Bool

    init(bytes: UnsafeBufferPointer<UInt8>, refusesDuplicateKeys: Bool = false) {
        self.bytes = bytes
        self.refusesDuplicateKeys = refusesDuplicateKeys
    }

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        skipWhitespace()
        if index == bytes.count { throw error("empty document") }
        let value = try parseValue()
        skipWhitespace()
        if index != bytes.count { throw error("unexpected \(describe(bytes[index])) after the end of the document") }
        return value
    }

    mutating func parseValue() throws(JSONParseError) -> JSON {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected \(describe(bytes[index])), expected a value")
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSON {
        try enterContainer()
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object([:])
        }
        // Members are collected first so the dictionary is allocated once, at its final size.
        var members: [(String, JSON)] = []
        members.reserveCapacity(8)
        var nameOffsets: [Int] = []  // where each member's name starts, to point at one that repeats
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a quoted member name") }
            if refusesDuplicateKeys { nameOffsets.append(index) }
            let key = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after member name \"\(key)\"") }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                var fields = [String: JSON](minimumCapacity: members.count)
                for (key, value) in members { fields[key] = value }  // a repeated key: the last one wins
                if refusesDuplicateKeys && fields.count < members.count { throw repeatedName(members, nameOffsets) }
                return .object(fields)
            case nil: throw error("unexpected end of input inside an object")
            default: throw error("expected ',' or '}' after an object member")
            }
        }
    }

    /// The error for the first member whose name an earlier one of the same object has.
    private func repeatedName(_ members: [(String, JSON)], _ offsets: [Int]) -> JSONParseError {
        var seen: Set<String> = []
        for ((key, _), offset) in zip(members, offsets) where !seen.insert(key).inserted {
            var repeated = error(
                "member name \"\(key)\" appears twice in the same object: which value is meant is unclear", at: offset)
            repeated.repeatedName = key
            return repeated
        }
        return error("a member name appears twice in the same object")
    }

    private mutating func parseArray() throws(JSONParseError) -> JSON {
        try enterContainer()
        index += 1
        var items: [JSON] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(items)
            case nil: throw error("unexpected end of input inside an array")
            default: throw error("expected ',' or ']' after an array element")
            }
        }
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        var seen: UInt8 = 0
        // Fast path: no escapes, no control characters; ASCII needs no UTF-8 validation.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if seen < 0x80 { return String(decoding: slice, as: UTF8.self) }
                return try decodeUTF8(slice, at: start)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            seen |= byte
            index += 1
        }
        guard index < bytes.count else { throw error("unterminated string", at: start - 1) }
        var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return try scalars.withUnsafeBufferPointer { buffer in
                    Result { () throws(JSONParseError) in try decodeUTF8(buffer, at: start) }
                }.get()
            case UInt8(ascii: "\\"):
                index += 1
                try appendEscape(to: &scalars)
            case 0..<0x20:
                throw error("control character \(describe(byte)) inside a string; escape it")
            default:
                scalars.append(byte)
                index += 1
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    private func decodeUTF8(_ slice: UnsafeBufferPointer<UInt8>, at offset: Int) throws(JSONParseError) -> String {
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw error("string is not valid UTF-8", at: offset)
        }
        return string
    }

    mutating func appendEscape(to output: inout [UInt8]) throws(JSONParseError) {
        guard let byte = peek() else { throw error("unterminated escape sequence") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): output.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard peek() == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u")
                else { throw error("unpaired UTF-16 surrogate in \\u escape") }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid UTF-16 surrogate pair") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("unpaired UTF-16 surrogate in \\u escape")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
            output.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw error("invalid escape '\\\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("\\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("\\u escape needs four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = index
        var isInteger = true
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw error("expected a digit", at: index) }
        if first == UInt8(ascii: "0") {
            index += 1
            if let next = peek(), isDigit(next) { throw error("leading zeros are not allowed", at: start) }
        } else {
            while let next = peek(), isDigit(next) { index += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard let next = peek(), isDigit(next) else { throw error("expected a digit after '.'") }
            while let next = peek(), isDigit(next) { index += 1 }
        }
        if let next = peek(), next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek(), isDigit(digit) else { throw error("expected a digit in the exponent") }
            while let next = peek(), isDigit(next) { index += 1 }
        }
        if isInteger, index - start <= 18 {  // at most 18 digits: cannot overflow Int64
            var value: Int64 = 0
            let negative = bytes[start] == UInt8(ascii: "-")
            for position in (negative ? start + 1 : start)..<index {
                value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
            }
            return .integer(negative ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text) else { throw error("number out of range", at: start) }
        return .number(value)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input, expected '\(literal)'") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw error("unexpected \(describe(bytes[index])), expected a value") }
        index += count
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let position = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<position where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return JSONParseError(message: message, offset: position, line: line, column: position - lineStart + 1)
    }
}
