import Foundation
import JSONCore

public enum IngestFormat: String, Sendable, CaseIterable {
    /// A JSON array of records, or `{"records": [...]}`. Read whole.
    case json
    /// One record per line. Streamed: memory does not grow with the file.
    case ndjson
    /// A CycloneDX 1.6 cryptography bill of materials.
    case cbom
    case auto

    /// Decides `auto` from the name and the first bytes.
    static func detect(path: String, head: [UInt8]) -> IngestFormat {
        let lowered = path.lowercased()
        let bytes = withoutByteOrderMark(head).drop { [0x20, 0x0A, 0x0D, 0x09].contains($0) }
        if lowered.hasSuffix(".cdx.json") || lowered.hasSuffix(".cbom.json") { return .cbom }
        // An array is a JSON document whatever the name: no NDJSON record is one.
        if bytes.first == UInt8(ascii: "[") { return .json }
        if lowered.hasSuffix(".ndjson") || lowered.hasSuffix(".jsonl") { return .ndjson }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains("\"bomFormat\"") && text.contains("CycloneDX") { return .cbom }
        // Two lines (LF or CRLF) that each begin an object, the first a whole one: NDJSON.
        let lines = bytes.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: true).map {
            $0.drop { $0 == 0x20 || $0 == 0x09 }
        }
        if lines.count >= 2, lines[0].first == UInt8(ascii: "{"), lines[1].first == UInt8(ascii: "{"),
            (try? JSON.parse(Array(lines[0]))) != nil
        {
            return .ndjson
        }
        return .json
    }

    /// A UTF-8 byte order mark some Windows tools write is not part of the JSON.
    public static func withoutByteOrderMark<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
    }
}

/// A file that cannot be ingested at all; nothing was changed.
public struct IngestError: Error, Sendable, CustomStringConvertible {
    /// The file and what is wrong with it, without what became of the ingest (a preview ingests nothing anyway).
    public let problem: String

    init(_ path: String, _ problem: String) {
        self.problem = "\(path): \(problem)"
    }

    public var description: String { "\(problem); nothing was ingested" }
}
