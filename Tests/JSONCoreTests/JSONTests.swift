import Foundation
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

    /// Members go out in UTF-8 byte order whatever order the dictionary holds them in: upper case before lower,
    /// a key before its extensions, non-ASCII after ASCII; so equal documents always hash the same.
    @Test func membersAreWrittenInUTF8ByteOrder() throws {
        let keys = ["b", "a", "ab", "B", "é", "z", "a_b", "aa", "", "\u{1F600}", "A", "é1", "ä", "key\"quoted"]
        let object = JSON.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSON.string($0)) }))
        let expected = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(expected.first == "" && expected.last == "\u{1F600}")
        let written = try JSON.parse(object.serialized())
        #expect(written == object)
        // The parsed document loses the order, so read it from the bytes: each key's position in the output.
        let text = object.serialized()
        let positions = expected.map { key in
            text.range(of: JSON.string(key).serialized() + ":")?.lowerBound
        }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(JSON.object(["b": 1, "a": ["d": 2, "c": 3]]).serialized() == #"{"a":{"c":3,"d":2},"b":1}"#)
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

    /// A name repeated within one object keeps its last value unless refused; refused, the error points at the
    /// repeat, however deep, and names it.
    @Test func aRepeatedMemberNameIsRefusedWhereItRepeats() throws {
        let text = "{\"a\": {\"b\": 1,\n \"c\": 2, \"b\": 3}, \"d\": {\"b\": 4}}"
        #expect(try JSON.parse(text)[path: "a.b"] == 3)
        do {
            _ = try JSON.parse(Array(text.utf8), duplicateKeys: .refused)
            Issue.record("a repeated name was accepted")
        } catch {
            #expect(
                error.description
                    == "line 2, column 10: member name \"b\" appears twice in the same object: which value is meant is unclear"
            )
            #expect(error.repeatedName == "b")
        }
        // The same name in different objects is no repeat.
        #expect(
            try JSON.parse(Array(#"{"b": {"b": 1}, "c": [{"b": 2}, {"b": 3}]}"#.utf8), duplicateKeys: .refused)["b"]
                != nil)
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSON.parse(String(repeating: "[", count: 600)) }
    }

    @Test func largeIntegersStayExact() throws {
        #expect(try JSON.parse("9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try JSON.parse("1e400") == .number(.infinity))
        #expect(JSON.number(.nan).serialized() == "null")
    }
}
