import JSONCore
import Testing

/// Reading paths from a document's bytes gives what parsing the whole document and looking them up gives.
@Suite struct JSONPathsTests {
    func read(_ paths: [[String]], in text: String) throws -> [JSON]? {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) in
            try JSONPaths(paths).values(in: buffer)
        }
    }

    @Test func readsWhatTheWholeDocumentHoldsUnderEachPath() throws {
        let document = #"""
            { "skipped": [1, -2.5e3, {"x": "}]\"{["}, [], {}, true, null, "a\\\"b"],
              "asset": {"hostname": "web01", "tags": ["a", "b"], "ip": null, "nested": {"deep": {"er": 1}}},
              "crypto": {"port": 443, "risk": 7.5, "name": "caf\u00e9 \ud83d\ude00"},
              "flag": false, "text": "plain" }
            """#
        let paths = [
            ["asset", "hostname"], ["asset", "tags"], ["asset", "ip", "under"], ["asset", "nested", "deep"],
            ["crypto", "port"], ["crypto", "risk"], ["crypto", "name"], ["flag"], ["text"], ["absent"],
            ["asset", "absent"], ["skipped", "0"], ["missing", "x", "y"], ["asset", "hostname"],
        ]
        let whole = try JSON.parse(document)
        let values = try #require(try read(paths, in: document))
        #expect(values == paths.map { whole[keys: $0[...]] ?? .null })
        #expect(values[3] == ["er": 1] && values[6] == "café 😀" && values[9] == .null && values[11] == .null)
    }

    /// As `JSON.parse` keeps a repeated member name's last value, so do the paths, even when the last one is not an
    /// object the paths go on through.
    @Test func aRepeatedNamesLastValueCounts() throws {
        let paths = [["a", "b"], ["c"]]
        #expect(try read(paths, in: #"{"a": {"b": 1}, "c": 1, "a": {"x": 2}, "c": 2}"#) == [.null, 2])
        #expect(try read(paths, in: #"{"a": {"b": 1}, "a": 5}"#) == [.null, .null])
        #expect(try read(paths, in: #"{"a": 5, "a": {"b": 3}}"#) == [3, .null])
    }

    /// A name written with escapes, or in another Unicode form of the same characters, is the name the whole
    /// document's dictionary finds.
    @Test func namesAreComparedAsTheDocumentsDictionaryComparesThem() throws {
        let document = #"{"asset": {"host\u006eame": "web01", "cafe\u0301": 1, "caf\#u{E9}s": 2}}"#
        let paths = [["asset", "hostname"], ["asset", "caf\u{E9}"], ["asset", "cafe\u{301}s"]]
        let whole = try JSON.parse(document)
        #expect(try read(paths, in: document) == paths.map { whole[keys: $0[...]] ?? .null })
        #expect(try read(paths, in: document) == ["web01", 1, 2])
    }

    /// Names are compared as strings compare, so a path named with a character that is canonically equivalent to
    /// an ASCII one (the Kelvin sign and `K`, the Greek question mark and `;`) finds the ASCII name; and where a path
    /// goes on through such a name, a dotted name is left to the whole document.
    @Test func equivalentNamesAreFoundAsTheDictionaryFindsThem() throws {
        let document = #"{"extensions": {"Key": "v", "a;b": 2}}"#
        let paths = [["extensions", "\u{212A}ey"], ["extensions", "a\u{37E}b"]]
        let whole = try JSON.parse(document)
        #expect(try read(paths, in: document) == paths.map { whole[keys: $0[...]] ?? .null })
        #expect(try read(paths, in: document) == ["v", 2])
        #expect(try read([["extensions", "\u{212A}ey", "x"]], in: #"{"extensions": {"Key.x": "v"}}"#) == nil)
        #expect(try read([["extensions", "cafe", "\u{301}x"]], in: "{\"extensions\": {\"cafe.\u{301}x\": 1}}") == nil)
    }

    /// A member name with a dot, beside a path through its first part, may be meant as that path; a path that ends
    /// where another goes on needs its whole value. Only the whole document settles either.
    @Test func leavesToTheWholeDocumentWhatOnlyItSettles() throws {
        #expect(try read([["extensions", "cmdb", "owner"]], in: #"{"extensions": {"cmdb.owner": "ops"}}"#) == nil)
        #expect(try read([["a"], ["a", "b"]], in: #"{"a": {"b": 1}}"#) == nil)
        // A dotted name no path goes on through is stepped over like any other.
        #expect(try read([["a", "b"], ["x"]], in: #"{"x.y": 1, "a": {"b.c": 2, "b": 3}}"#) == [3, .null])
    }

    @Test func aBrokenDocumentIsAnErrorNamingWhere() throws {
        // A byte that is not UTF-8, in a string stepped over, is found as parsing finds it.
        let notUTF8 = Array(#"{"skipped": "a"#.utf8) + [0xFF] + Array(#"", "a": 1}"#.utf8)
        #expect {
            try notUTF8.withUnsafeBufferPointer { (buffer) throws(JSONParseError) in
                try JSONPaths([["a"]]).values(in: buffer)
            }
        } throws: {
            "\($0)" == "line 1, column 14: string is not valid UTF-8"
        }
        #expect { try JSON.parse(notUTF8) } throws: { "\($0)" == "line 1, column 14: string is not valid UTF-8" }

        let cases: [(String, String)] = [
            (#"{"skipped": [1, 2}, "a": 1}"#, "line 1, column 18: expected ',' or ']' after an array element"),
            (#"{"skipped": "open, "a": 1}"#, "line 1, column 21: expected ',' or '}' after an object member"),
            (
                "{\"skipped\": \"tab\there\"}",
                "line 1, column 17: control character byte 0x9 inside a string; escape it"
            ),
            (#"{"a": 1} trailing"#, "line 1, column 10: unexpected 't' after the end of the document"),
            (#"{"a": tru}"#, "line 1, column 7: unexpected 't', expected a value"),
            ("", "line 1, column 1: empty document"),
            // What is stepped over is checked as the parser checks it.
            (#"{"skipped": "\q", "a": 1}"#, "line 1, column 16: invalid escape '\\q'"),
            (#"{"skipped": {"b" 1}, "a": 1}"#, "line 1, column 18: expected ':' after member name \"b\""),
            (#"{"skipped": "\ud800", "a": 1}"#, "line 1, column 20: unpaired UTF-16 surrogate in \\u escape"),
        ]
        for (text, message) in cases {
            #expect("\(text)") { try read([["a"]], in: text) } throws: { "\($0)" == message }
            // The same words, at the same place, as parsing the whole document gives.
            if !text.isEmpty, !text.hasSuffix("trailing") {
                #expect("\(text)") { try JSON.parse(text) } throws: { "\($0)" == message }
            }
        }
    }
}
