/// Stepping over values without building them: what `JSONPaths` and `JSONReader` leave is only checked for its
/// structure, not for its strings' escapes and encoding.
extension JSONParser {
    /// Steps over the value at the parser's position, building nothing.
    mutating func skipValue() throws(JSONParseError) {
        guard let opening = peek() else { throw error("unexpected end of input, expected a value") }
        switch opening {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = opening == UInt8(ascii: "{")
            let closing = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            try enterContainer()
            index += 1
            skipWhitespace()
            if peek() == closing {
                index += 1
                depth -= 1
                return
            }
            while true {
                skipWhitespace()
                if isObject {
                    guard peek() == UInt8(ascii: "\"") else { throw error("expected a quoted member name") }
                    try skipString()
                    skipWhitespace()
                    guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
                    index += 1
                    skipWhitespace()
                }
                try skipValue()
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","): index += 1
                case closing:
                    index += 1
                    depth -= 1
                    return
                case nil: throw error("unexpected end of input inside \(isObject ? "an object" : "an array")")
                default: throw error("expected ',' or '\(Character(Unicode.Scalar(closing)))' after an element")
                }
            }
        default:
            _ = try parseValue()  // a number or a literal: nothing to allocate
        }
    }

    mutating func skipString() throws(JSONParseError) {
        let start = index
        index += 1  // opening quote
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"): index += 2
            case 0..<0x20: throw error("control character \(describe(bytes[index])) inside a string; escape it")
            default: index += 1
            }
        }
        throw error("unterminated string", at: start)
    }
}
