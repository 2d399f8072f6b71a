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
        if lowered.hasSuffix(".ndjson") || lowered.hasSuffix(".jsonl") { return .ndjson }
        if lowered.hasSuffix(".cdx.json") || lowered.hasSuffix(".cbom.json") { return .cbom }
        let text = String(decoding: head, as: UTF8.self)
        let trimmed = text.drop { $0.isWhitespace }
        if trimmed.hasPrefix("[") { return .json }
        if text.contains("\"bomFormat\"") && text.contains("CycloneDX") { return .cbom }
        // Two lines that each begin an object: NDJSON.
        let lines = trimmed.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: true)
        if lines.count >= 2, lines[0].hasPrefix("{"), lines[1].trimmingCharacters(in: .whitespaces).hasPrefix("{"),
            (try? JSON.parse(String(lines[0]))) != nil
        {
            return .ndjson
        }
        return .json
    }
}

/// A file that cannot be ingested at all; nothing was changed.
public struct IngestError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ path: String, _ problem: String) {
        description = "\(path): \(problem); nothing was ingested"
    }
}
