import JSONCore
import Testing

/// Reading a document a piece at a time, and writing one the same way.
@Suite struct JSONReaderWriterTests {
    func withReader<T>(_ text: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            let result = try body(&reader)
            try reader.finish()
            return result
        }
    }

    /// Members are read, stepped over or taken as written; the raw bytes run from a value's first byte to its last.
    @Test func readsMembersAndElementsAsAsked() throws {
        let text = #" { "keep": {"b": [1, 2] , "a": "x\"}"} , "skip": [{"deep": ["]"]}], "list": [1, "two", null] } "#
        let (raw, list, names) = try withReader(text) { reader -> (String, [JSON], [String]) in
            var (raw, list, names) = ("", [JSON](), [String]())
            try reader.readObject { name, reader in
                names.append(name)
                switch name {
                case "keep": raw = String(decoding: try reader.readRaw(), as: UTF8.self)
                case "list":
                    try reader.readArray { position, reader in
                        #expect(position == list.count)
                        list.append(try reader.readValue())
                    }
                default: try reader.skipValue()
                }
            }
            return (raw, list, names)
        }
        #expect(raw == #"{"b": [1, 2] , "a": "x\"}"}"#)
        #expect(list == [1, "two", nil])
        #expect(names == ["keep", "skip", "list"])
    }

    /// A string stepped over is checked as parsing checks it, wherever in it its escape, character beyond ASCII,
    /// control character or broken UTF-8 lies.
    @Test func aStringSteppedOverIsCheckedWhereverItsSpecialBytesLie() throws {
        func skipped(_ inner: [UInt8]) -> Bool {
            let document = Array(#"["#.utf8) + [0x22] + inner + [0x22] + Array(#", 7]"#.utf8)
            return document.withUnsafeBufferPointer { buffer in
                var reader = JSONReader(buffer)
                var last: JSON = .null
                do {
                    try reader.readArray { index, reader in
                        if index == 0 { try reader.skipValue() } else { last = try reader.readValue() }
                    }
                    try reader.finish()
                } catch { return false }
                return last == 7
            }
        }
        for length in [0, 1, 15, 16, 17, 31, 32, 40] {
            for position in 0...length {
                let plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                func with(_ special: [UInt8]) -> [UInt8] { Array(plain[..<position]) + special + plain[position...] }
                #expect(skipped(plain))
                #expect(skipped(with(Array(#"\""#.utf8))), "escaped quote at \(position) of \(length)")
                #expect(skipped(with(Array(#"\u00e9"#.utf8))))
                #expect(skipped(with(Array("é🔐".utf8))))
                #expect(!skipped(with([0x09])), "a tab at \(position) of \(length)")
                #expect(!skipped(with([0xC3])), "a broken UTF-8 sequence at \(position) of \(length)")
                #expect(!skipped(with(Array(#"\q"#.utf8))), "an unknown escape at \(position) of \(length)")
            }
        }
    }

    @Test func aDocumentOfAnotherShapeIsAnErrorNamingWhere() throws {
        let cases: [(String, String)] = [
            ("[1]", "line 1, column 1: expected an object, found '['"),
            (#"{"a": 1 "b": 2}"#, "line 1, column 9: expected ',' or '}' after an object member"),
            (#"{"a": 1} {"#, "line 1, column 10: unexpected '{' after the end of the document"),
            (#"{"a": [1, 2"#, "line 1, column 12: unexpected end of input inside an array"),
        ]
        for (text, message) in cases {
            #expect(Comment(rawValue: text)) {
                try withReader(text) { reader in try reader.readObject { _, reader in try reader.skipValue() } }
            } throws: {
                "\($0)" == message
            }
        }
        // A callback that leaves a member's value unread is a mistake, named as such.
        #expect {
            try withReader(#"{"a": 1}"#) { reader in try reader.readObject { _, _ in } }
        } throws: {
            "\($0)" == "line 1, column 7: a value was left unread"
        }
    }

    /// Commas go where they belong however containers nest, and raw parts go in as they are.
    @Test func writesWhatItIsGiven() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("a", [1, "x"])
        writer.key("b")
        writer.beginArray()
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.raw(Array(#"{"z": 1}"#.utf8))
        writer.value(nil)
        writer.endArray()
        writer.member("c", raw: Array("[true]".utf8))
        #expect(!writer.isComplete)
        writer.endObject()
        #expect(writer.isComplete)
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"{"a":[1,"x"],"b":[{},[],{"z": 1},null],"c":[true]}"#)
        #expect(try JSON.parse(text) == ["a": [1, "x"], "b": [[:], [], ["z": 1], nil], "c": [true]])
    }
}
