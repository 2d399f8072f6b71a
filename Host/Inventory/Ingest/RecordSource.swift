import Foundation
import JSONCore

#if canImport(Glibc)
    import Glibc
#endif

/// Raw records out of a file, a chunk at a time: read on one thread, parsed and validated on others. A problem with
/// one record is handed on as that record's problem; a problem with the file throws.
protocol RecordSource {
    /// Up to `limit` records, or nil after the last.
    mutating func nextChunk(limit: Int) throws(IngestError) -> RawChunk?
    /// Releases what the source holds open; it reads no further.
    mutating func close()
}

/// Records as read, not yet parsed: NDJSON lines in one buffer, or values of a JSON document.
struct RawChunk: Sendable {
    enum Content: Sendable {
        /// Line numbers (from 1) and where each line lies in `bytes`.
        case lines(bytes: [UInt8], lines: [(number: Int, range: Range<Int>)])
        /// Values numbered from `first` (`records[first]`, ...).
        case values(prefix: String, first: Int, [JSON])
        /// Elements of a JSON document's records array numbered from `first`, each with the line and column it
        /// starts at in the file at `path`: one that does not parse makes the whole file not JSON.
        case elements(path: String, first: Int, bytes: [UInt8], [(line: Int, column: Int, range: Range<Int>)])
        /// Values each placed where they came from (a CBOM's protocol component, and the parts its fields came from).
        case placed([(place: RecordPlace, value: JSON)])
    }

    let content: Content

    /// Each record's place in the input (`line 17`, `records[3]`) with its value, or why it is not JSON; throws
    /// when the file itself is not JSON.
    func forEach(_ body: (RecordPlace, Result<JSON, JSONParseError>) -> Void) throws(IngestError) {
        switch content {
        case .lines(let bytes, let lines):
            bytes.withUnsafeBufferPointer { buffer in
                for line in lines {
                    let slice = UnsafeBufferPointer(rebasing: buffer[line.range])
                    body(
                        RecordPlace("line \(line.number)"),
                        Result { () throws(JSONParseError) in try JSON.parse(slice, duplicateKeys: .refused) })
                }
            }
        case .elements(let path, let first, let bytes, let elements):
            try bytes.withUnsafeBufferPointer { buffer throws(IngestError) in
                for (offset, element) in elements.enumerated() {
                    do throws(JSONParseError) {
                        body(
                            RecordPlace("records[\(first + offset)]"),
                            .success(try JSON.parse(.init(rebasing: buffer[element.range]), duplicateKeys: .refused)))
                    } catch {
                        throw JSONArraySource.notJSON(error, inElementAt: element.line, element.column, of: path)
                    }
                }
            }
        case .values(let prefix, let first, let values):
            for (offset, value) in values.enumerated() {
                body(RecordPlace("\(prefix)[\(first + offset)]"), .success(value))
            }
        case .placed(let values):
            for (place, value) in values { body(place, .success(value)) }
        }
    }
}

/// Where a record is in the input (`line 17`, `records[3]`, a CBOM's protocol component) and, for a record made of
/// several parts of it, where its fields came from, by field path or section: `certificate.expiration_date` →
/// `notValidAfter of components[6] (bom-ref leaf)`.
struct RecordPlace: Sendable {
    let location: String
    var origins: [String: String] = [:]

    init(_ location: String, origins: [String: String] = [:]) {
        self.location = location
        self.origins = origins
    }

    /// The problem, saying where its field came from when that is not the record's own place.
    func attributed(_ problem: RecordProblem) -> RecordProblem {
        guard !origins.isEmpty, problem.location.hasPrefix(location), problem.location != location else {
            return problem
        }
        let path = problem.location.dropFirst(location.count).drop { $0 == ":" || $0 == "." || $0 == " " }
        let origin = origins.filter { path == $0.key || path.hasPrefix($0.key + ".") }
            .max { $0.key.count < $1.key.count }
        guard let origin else { return problem }
        return RecordProblem(location: "\(problem.location) (\(origin.value))", problem.message)
    }
}

/// Streams an NDJSON file in 1 MiB reads; memory holds a few chunks of lines, however big the file.
struct NDJSONSource: RecordSource {
    static let maximumLine = 16 << 20

    private var file: FileBlocks
    private var buffer: [UInt8] = []
    private var start = 0
    private var line = 0
    private var finished = false

    init(path: String) throws(IngestError) { file = try FileBlocks(path: path) }

    /// Closes the file; the source reads no further.
    mutating func close() { file.close() }

    mutating func nextChunk(limit: Int) throws(IngestError) -> RawChunk? {
        var bytes: [UInt8] = []
        var lines: [(number: Int, range: Range<Int>)] = []
        lines.reserveCapacity(limit)
        while lines.count < limit, let range = try nextLine() {
            // Blank lines are no records (but keep their numbers).
            if buffer[range].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            if bytes.isEmpty { bytes.reserveCapacity(max(range.count, 1 << 20)) }
            lines.append((line, bytes.count..<bytes.count + range.count))
            bytes.append(contentsOf: buffer[range])
        }
        return lines.isEmpty ? nil : RawChunk(content: .lines(bytes: bytes, lines: lines))
    }

    /// Where the next line lies in `buffer`, valid until the next call.
    private mutating func nextLine() throws(IngestError) -> Range<Int>? {
        while true {
            if line == 0, start == 0, buffer.count >= 3 || finished {
                start = buffer.count - IngestFormat.withoutByteOrderMark(buffer).count
            }
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                defer { start = newline + 1 }
                line += 1
                return start..<newline
            }
            if finished {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                line += 1
                return start..<buffer.count
            }
            try refill()
        }
    }

    private mutating func refill() throws(IngestError) {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        guard buffer.count <= Self.maximumLine else {
            throw file.error("line \(line + 1) is longer than 16 MiB: not an NDJSON file")
        }
        finished = try !file.read(into: &buffer, kind: "an NDJSON file")
    }
}

/// Records already in memory: those of a request, or the records a CBOM's protocols became.
struct ArraySource: RecordSource {
    private let records: [JSON]
    private let prefix: String
    private var index = 0

    init(records: [JSON], prefix: String) {
        self.records = records
        self.prefix = prefix
    }

    /// Records each placed where it came from, instead of by its position.
    init(records: [JSON], places: [RecordPlace]) {
        self.init(records: records, prefix: "")
        self.places = places
    }

    private var places: [RecordPlace]?

    mutating func nextChunk(limit: Int) throws(IngestError) -> RawChunk? {
        guard index < records.count else { return nil }
        let end = min(index + limit, records.count)
        defer { index = end }
        if let places {
            return RawChunk(content: .placed(Array(zip(places[index..<end], records[index..<end]))))
        }
        return RawChunk(content: .values(prefix: prefix, first: index, Array(records[index..<end])))
    }

    mutating func close() {}
}
