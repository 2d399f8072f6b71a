import Foundation
import JSONCore

#if canImport(Glibc)
    import Glibc
#endif

/// Raw records out of a file, each with where it came from (`records[3]`, `line 17`). A problem with one record is
/// handed on as that record's problem; a problem with the file throws.
protocol RecordSource {
    mutating func next() throws(IngestError) -> (location: String, value: Result<JSON, JSONParseError>)?
}

/// Streams an NDJSON file in 1 MiB reads; only one line is held at a time, however big the file.
struct NDJSONSource: RecordSource {
    static let maximumLine = 16 << 20

    private let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var line = 0
    private var offset = 0
    private var finished = false

    init(path: String) throws(IngestError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw IngestError(path, "cannot be read") }
        self.path = path
        self.descriptor = descriptor
    }

    /// Closes the file; the source reads no further.
    func close() { Glibc.close(descriptor) }

    mutating func next() throws(IngestError) -> (location: String, value: Result<JSON, JSONParseError>)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let range = start..<newline
                start = newline + 1
                line += 1
                if let record = try parse(range) { return record }
                continue
            }
            if finished {
                guard start < buffer.count else { return nil }
                let range = start..<buffer.count
                start = buffer.count
                line += 1
                if let record = try parse(range) { return record }
                return nil
            }
            try refill()
        }
    }

    private mutating func parse(_ range: Range<Int>) throws(IngestError) -> (
        location: String, value: Result<JSON, JSONParseError>
    )? {
        let slice = buffer[range]
        if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        let value = slice.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONParseError) in try JSON.parse(bytes) }
        }
        return ("line \(line)", value)
    }

    private mutating func refill() throws(IngestError) {
        if start > 0 {
            offset += start
            buffer.removeFirst(start)
            start = 0
        }
        guard buffer.count <= Self.maximumLine else {
            throw IngestError(path, "line \(line + 1) is longer than 16 MiB: not an NDJSON file")
        }
        // Plain read(2) into the buffer: Foundation's FileHandle and Data cost more than parsing here.
        let old = buffer.count
        let chunk = 1 << 20
        var count = 0
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        while true {
            count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + old, chunk) }
            if count >= 0 || errno != EINTR { break }
        }
        buffer.removeLast(chunk - max(count, 0))
        guard count >= 0 else { throw IngestError(path, "read failed: \(String(cString: strerror(errno)))") }
        if count == 0 {
            finished = true
            close()
            return
        }
        let zero = buffer.withUnsafeBytes { memchr($0.baseAddress! + old, 0, count) }
        if let zero {
            let position = buffer.withUnsafeBytes { UnsafeRawPointer(zero) - $0.baseAddress! }
            throw IngestError(path, "holds binary data (a NUL byte at offset \(offset + position)): not an NDJSON file")
        }
    }
}

/// The records of a JSON document: an array, or an object with a `records` array.
struct ArraySource: RecordSource {
    private let records: [JSON]
    private let prefix: String
    private var index = 0

    init(document: JSON, path: String) throws(IngestError) {
        if let array = document.arrayValue {
            records = array
            prefix = "records"
        } else if let array = document["records"]?.arrayValue {
            records = array
            prefix = "records"
        } else {
            throw IngestError(
                path,
                "the top level is \(document.typeName == "object" ? "an object without a \"records\" array" : "a \(document.typeName)"); expected an array of records or {\"records\": [...]}"
            )
        }
    }

    init(records: [JSON], prefix: String) {
        self.records = records
        self.prefix = prefix
    }

    mutating func next() throws(IngestError) -> (location: String, value: Result<JSON, JSONParseError>)? {
        guard index < records.count else { return nil }
        defer { index += 1 }
        return ("\(prefix)[\(index)]", .success(records[index]))
    }
}
