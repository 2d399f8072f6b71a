import Foundation
import JSONCore

/// Streams the records of a JSON document (an array, or the array under a top-level `"records"` key) in 1 MiB
/// reads, so a file of any size takes a few chunks of memory, as NDJSON does. Elements are found by following
/// strings and nesting, and each is parsed whole by `JSONParser` on a validator's thread; anything that makes the
/// document not JSON is one error for the whole file, with its line and column, and nothing is ingested.
struct JSONArraySource: RecordSource {
    /// The document holds no records array: `cycloneDX` when its top level is a CycloneDX BOM.
    struct NotRecords: Error {
        let cycloneDX: Bool
    }

    static let maximumRecord = 16 << 20

    private var file: FileBlocks
    private var buffer: [UInt8] = []
    private var position = 0
    /// Line and the offset in `buffer` where it starts, for messages.
    private var line = 1
    private var lineStart = 0
    private var nextIndex = 0
    private var expectingElement = true
    private var finished = false
    /// The records are under a key of a top-level object, whose other members follow the array.
    private var inObject = false

    /// Opens the file and reads up to the first record; throws `NotRecords` when there is no records array.
    init(path: String) throws {
        file = try FileBlocks(path: path)
        do {
            try start(path)
        } catch {
            file.close()
            throw error
        }
    }

    private mutating func start(_ path: String) throws {
        try skipWhitespace(atStart: true)
        guard let first = try peek() else { throw IngestError(path, "is empty") }
        switch first {
        case UInt8(ascii: "["):
            position += 1
        case UInt8(ascii: "{"):
            inObject = true
            position += 1
            try findRecords()
        default:
            let expected = "expected an array of records or {\"records\": [...]}"
            guard let kind = Self.kind(of: first) else {
                let xml = first == UInt8(ascii: "<") ? ", as XML and HTML do" : ""
                throw IngestError(path, "is not JSON (it begins with \(Self.describe(first))\(xml)); \(expected)")
            }
            throw IngestError(path, "the top level is \(kind); \(expected)")
        }
    }

    mutating func close() { file.close() }

    /// The next elements, unparsed: validators parse them on other threads.
    mutating func nextChunk(limit: Int) throws(IngestError) -> RawChunk? {
        let first = nextIndex
        var bytes: [UInt8] = []
        var elements: [(line: Int, column: Int, range: Range<Int>)] = []
        do {
            while elements.count < limit, let (line, column, element) = try nextElement() {
                let start = bytes.count
                bytes.append(contentsOf: buffer[element])
                elements.append((line, column, start..<bytes.count))
                nextIndex += 1
            }
        } catch {
            // The file's error is the first in it: an element before this point that does not parse comes first.
            try RawChunk(content: .elements(path: file.path, first: first, bytes: bytes, elements)).forEach { _, _ in }
            throw error
        }
        return elements.isEmpty
            ? nil : RawChunk(content: .elements(path: file.path, first: first, bytes: bytes, elements))
    }

    // MARK: The records array

    /// Where the next element lies in `buffer` (until the next read) and the line and column it starts at; nil
    /// after the last. Its structure is followed, not checked: the parser does that.
    private mutating func nextElement() throws(IngestError) -> (line: Int, column: Int, Range<Int>)? {
        guard !finished else { return nil }
        try skipWhitespace()
        guard let next = try peek() else { throw malformed("unexpected end of input inside the records array") }
        switch next {
        case UInt8(ascii: "]"):
            position += 1
            try finishDocument()
            return nil
        case UInt8(ascii: ",") where !expectingElement:
            position += 1
            try skipWhitespace()
            if let after = try peek(), after == UInt8(ascii: "]") || after == UInt8(ascii: ",") {
                throw malformed("unexpected \(Self.describe(after)), expected a value")
            }
        case UInt8(ascii: ","):
            throw malformed("unexpected ',', expected a value")
        default:
            if !expectingElement { throw malformed("expected ',' or ']' after an array element") }
        }
        let (startLine, startColumn) = (line, position - lineStart + 1)
        let (start, complete) = try skipValue()
        guard complete else {  // the parser says where and inside what, unless the element is a whole number
            let parsed = buffer[start..<position].withUnsafeBufferPointer { bytes in
                Result { () throws(JSONParseError) in try JSON.parse(bytes, duplicateKeys: .refused) }
            }
            guard case .failure(let error) = parsed else {
                throw malformed("unexpected end of input inside the records array")
            }
            throw Self.notJSON(error, inElementAt: startLine, startColumn, of: file.path)
        }
        expectingElement = false
        return (startLine, startColumn, start..<position)
    }

    /// Why an element starting at `line` and `column` of the file at `path` makes it not JSON, or repeats a name.
    static func notJSON(_ error: JSONParseError, inElementAt line: Int, _ column: Int, of path: String) -> IngestError {
        let column = error.line == 1 ? column + error.column - 1 : error.column
        let why = error.repeatedName == nil ? " (the file is not valid JSON)" : ""  // a repeated name is JSON
        return IngestError(path, "line \(line + error.line - 1), column \(column): \(error.message)\(why)")
    }

    /// What follows the records array: the end of the document, or the rest of the object holding it.
    private mutating func finishDocument() throws(IngestError) {
        finished = true
        if inObject {
            try skipWhitespace()
            while try peek() == UInt8(ascii: ",") {
                position += 1
                let (key, _) = try memberStart()
                if key == "records" {  // JSON allows it; which array a reader takes is anyone's guess
                    throw file.error(
                        "line \(line), column \(position - lineStart + 1): a second \"records\" member; give the "
                            + "records in one array")
                }
                try skipCheckedValue()
                try skipWhitespace()
            }
            guard try peek() == UInt8(ascii: "}") else { throw malformed("expected ',' or '}' after an object member") }
            position += 1
        }
        try skipWhitespace()
        if let extra = try peek() {
            throw malformed("unexpected \(Self.describe(extra)) after the end of the document")
        }
        close()
    }

    // MARK: The object around it

    /// Reads members of the top-level object up to `"records": [`; other members are skipped.
    private mutating func findRecords() throws {
        var cycloneDX = false
        try skipWhitespace()
        if try peek() == UInt8(ascii: "}") { throw NotRecords(cycloneDX: false) }
        while true {
            let (key, first) = try memberStart()
            if key == "records" {
                guard first == UInt8(ascii: "[") else {
                    throw file.error(
                        "\"records\" must be an array of records, got \(Self.kind(of: first) ?? Self.describe(first))")
                }
                position += 1
                return
            }
            let value = try skipCheckedValue()
            if key == "bomFormat" { cycloneDX = value.stringValue == "CycloneDX" }
            try skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): throw NotRecords(cycloneDX: cycloneDX)
            default: throw malformed("expected ',' or '}' after an object member")
            }
        }
    }

    /// A member's key, and the first byte of its value (not consumed).
    private mutating func memberStart() throws(IngestError) -> (key: String, value: UInt8) {
        try skipWhitespace()
        guard try peek() == UInt8(ascii: "\"") else { throw malformed("expected a quoted member name") }
        let key = try skipCheckedValue().stringValue ?? ""
        try skipWhitespace()
        guard try peek() == UInt8(ascii: ":") else { throw malformed("expected ':' after member name \"\(key)\"") }
        position += 1
        try skipWhitespace()
        guard let value = try peek() else { throw malformed("unexpected end of input, expected a value") }
        return (key, value)
    }

    /// Moves past a value that is not a record, parsed to check it is JSON (the parser says where it is not); a
    /// document around the records is as much the file as they are.
    @discardableResult
    private mutating func skipCheckedValue() throws(IngestError) -> JSON {
        let (startLine, startColumn) = (line, position - lineStart + 1)
        let (start, complete) = try skipValue()
        let parsed = buffer[start..<position].withUnsafeBufferPointer { bytes in
            Result { () throws(JSONParseError) in try JSON.parse(bytes, duplicateKeys: .refused) }
        }
        switch parsed {
        case .failure(let error): throw Self.notJSON(error, inElementAt: startLine, startColumn, of: file.path)
        case .success(let value):
            guard complete else { throw malformed("unexpected end of input inside an object") }
            return value
        }
    }

    // MARK: Bytes

    /// Moves past one value, following strings and nesting only (the parser checks the rest); returns where the
    /// value starts in the buffer (reading on may have moved it), and false if the file ended inside it.
    private mutating func skipValue() throws(IngestError) -> (start: Int, complete: Bool) {
        var depth = 0
        var inString = false
        var escaped = false
        var keep = position
        while true {
            if position == buffer.count {
                guard try refill(keepingFrom: &keep) else { return (keep, false) }
                continue
            }
            let byte = buffer[position]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 {
                        position += 1
                        return (keep, true)
                    }
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return (keep, true) }  // the end of the array or object around a number or literal
                    depth -= 1
                    if depth == 0 {
                        position += 1
                        return (keep, true)
                    }
                case UInt8(ascii: ","), 0x20, 0x09, 0x0D, 0x0A:
                    if depth == 0 { return (keep, true) }
                default: break
                }
            }
            if byte == 0x0A {
                line += 1
                lineStart = position + 1
            }
            position += 1
        }
    }

    private mutating func skipWhitespace(atStart: Bool = false) throws(IngestError) {
        var keep = position
        while true {
            if position == buffer.count {
                guard try refill(keepingFrom: &keep) else { return }
                if atStart { position = buffer.count - IngestFormat.withoutByteOrderMark(buffer).count }
                continue
            }
            switch buffer[position] {
            case 0x0A:
                line += 1
                lineStart = position + 1
                position += 1
            case 0x20, 0x09, 0x0D: position += 1
            default: return
            }
            keep = position
        }
    }

    private mutating func peek() throws(IngestError) -> UInt8? {
        var keep = position
        if position == buffer.count, try !refill(keepingFrom: &keep) { return nil }
        return buffer[position]
    }

    /// Reads on, dropping what lies before `keep` (updated to its new place); false at the end of the file.
    private mutating func refill(keepingFrom keep: inout Int) throws(IngestError) -> Bool {
        if keep > 0 {
            buffer.removeFirst(keep)
            position -= keep
            lineStart -= keep
            keep = 0
        }
        guard buffer.count <= Self.maximumRecord else {
            throw file.error("records[\(nextIndex)] is longer than 16 MiB")
        }
        return try file.read(into: &buffer, kind: "a JSON file")
    }

    private func malformed(_ message: String) -> IngestError {
        file.error("line \(line), column \(position - lineStart + 1): \(message) (the file is not valid JSON)")
    }

    /// What a JSON value beginning with `byte` is; nil when no JSON value begins so (a CSV header, XML).
    private static func kind(of byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "{"): "an object"
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): "a boolean"
        case UInt8(ascii: "n"): "null"
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): "a number"
        default: nil
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}
