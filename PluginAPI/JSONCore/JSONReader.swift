/// Reads a JSON document a piece at a time: objects member by member, arrays element by element, each value built,
/// stepped over, or taken as the bytes it is written in. A reader that needs a few members of a large document, or
/// passes part of one on unchanged, builds nothing else.
///
///     var reader = JSONReader(bytes)
///     try reader.readObject { name, reader in
///         if name == "fields" { fields = Array(try reader.readRaw()) } else { try reader.skipValue() }
///     }
///     try reader.finish()
public struct JSONReader {
    private var parser: JSONParser

    /// `bytes` must outlive the reader; `readRaw` returns slices of them.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
    }

    /// What the next value is, without reading it: nil at the end of the input.
    public var next: Kind? {
        switch parser.peek() {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case nil: nil
        default: .scalar
        }
    }

    public enum Kind: Sendable { case object, array, scalar }

    /// Builds the next value.
    public mutating func readValue() throws(JSONParseError) -> JSON {
        let value = try parser.parseValue()
        parser.skipWhitespace()
        return value
    }

    /// Steps over the next value, building nothing.
    public mutating func skipValue() throws(JSONParseError) {
        try parser.skipValue()
        parser.skipWhitespace()
    }

    /// Steps over the next value and returns the bytes it is written in, from its first byte to its last.
    public mutating func readRaw() throws(JSONParseError) -> UnsafeBufferPointer<UInt8> {
        let start = parser.index
        try parser.skipValue()
        let raw = UnsafeBufferPointer(rebasing: parser.bytes[start..<parser.index])
        parser.skipWhitespace()
        return raw
    }

    /// Reads the next value, which must be an object: `member` is given each member's name and must read or skip
    /// its value.
    public mutating func readObject(_ member: (String, inout JSONReader) throws -> Void) throws {
        try open(UInt8(ascii: "{"), "an object")
        if try close(UInt8(ascii: "}")) { return }
        while true {
            guard parser.peek() == UInt8(ascii: "\"") else { throw parser.error("expected a quoted member name") }
            let name = try parser.parseString()
            parser.skipWhitespace()
            guard parser.peek() == UInt8(ascii: ":") else {
                throw parser.error("expected ':' after member name \"\(name)\"")
            }
            parser.index += 1
            parser.skipWhitespace()
            try readOne { try member(name, &$0) }
            if try next(closing: UInt8(ascii: "}"), "an object member") { return }
        }
    }

    /// Reads the next value, which must be an array: `element` is given each element's position and must read or
    /// skip it.
    public mutating func readArray(_ element: (Int, inout JSONReader) throws -> Void) throws {
        try open(UInt8(ascii: "["), "an array")
        if try close(UInt8(ascii: "]")) { return }
        var position = 0
        while true {
            try readOne { try element(position, &$0) }
            position += 1
            if try next(closing: UInt8(ascii: "]"), "an array element") { return }
        }
    }

    /// Throws unless only whitespace is left.
    public func finish() throws(JSONParseError) {
        guard let byte = parser.peek() else { return }
        throw parser.error("unexpected \(parser.describe(byte)) after the end of the document")
    }

    private mutating func open(_ opening: UInt8, _ kind: String) throws(JSONParseError) {
        guard let byte = parser.peek() else { throw parser.error("unexpected end of input, expected \(kind)") }
        guard byte == opening else { throw parser.error("expected \(kind), found \(parser.describe(byte))") }
        try parser.enterContainer()
        parser.index += 1
        parser.skipWhitespace()
    }

    /// Whether the container ends here (empty), stepping past its end if so.
    private mutating func close(_ closing: UInt8) throws(JSONParseError) -> Bool {
        guard parser.peek() == closing else { return false }
        parser.index += 1
        parser.depth -= 1
        parser.skipWhitespace()
        return true
    }

    /// Runs `body` on one value, and checks that it read exactly that value.
    private mutating func readOne(_ body: (inout JSONReader) throws -> Void) throws {
        let start = parser.index
        try body(&self)
        guard parser.index > start else { throw parser.error("a value was left unread") }
    }

    /// After a member or element: true at the container's end (stepped past), false after a comma.
    private mutating func next(closing: UInt8, _ what: String) throws(JSONParseError) -> Bool {
        switch parser.peek() {
        case UInt8(ascii: ","):
            parser.index += 1
            parser.skipWhitespace()
            return false
        case closing:
            parser.index += 1
            parser.depth -= 1
            parser.skipWhitespace()
            return true
        case nil: throw parser.error("unexpected end of input after \(what)")
        default:
            throw parser.error("expected ',' or '\(Character(Unicode.Scalar(closing)))' after \(what)")
        }
    }
}
