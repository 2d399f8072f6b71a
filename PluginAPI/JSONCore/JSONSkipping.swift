/// Stepping over values without building them. What is stepped over is checked as the parser checks it (structure,
/// numbers, escapes, UTF-8), so a document one of them accepts is one `JSON.parse` accepts.
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
                    let name = index
                    try skipString()
                    skipWhitespace()
                    guard peek() == UInt8(ascii: ":") else { throw missingColon(afterNameAt: name) }
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
                case _ where isObject: throw error("expected ',' or '}' after an object member")
                default: throw error("expected ',' or ']' after an array element")
                }
            }
        default:
            _ = try parseValue()  // a number or a literal: nothing to allocate
        }
    }

    /// The parser's words for a member name without its colon, naming the member (read again for the message).
    func missingColon(afterNameAt start: Int) -> JSONParseError {
        var reader = self
        reader.index = start
        let name = (try? reader.parseString()) ?? ""
        return error("expected ':' after member name \"\(name)\"")
    }

    mutating func skipString() throws(JSONParseError) {
        let start = index
        index += 1  // opening quote
        var isASCII = true
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                // Escapes are ASCII, so checking the whole text checks every run of other bytes.
                let text = UnsafeBufferPointer(rebasing: bytes[start + 1..<index])
                index += 1
                guard isASCII || Self.isUTF8(text) else { throw error("string is not valid UTF-8", at: start + 1) }
                return
            case UInt8(ascii: "\\"):
                index += 1
                var decoded: [UInt8] = []
                try appendEscape(to: &decoded)
            case 0..<0x20: throw error("control character \(describe(byte)) inside a string; escape it")
            default:
                isASCII = isASCII && byte < 0x80
                index += 1
            }
        }
        throw error("unterminated string", at: start)
    }

    private static func isUTF8(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        !transcode(text.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true, into: { _ in })
    }
}
