import JSONCore
import Synchronization

/// A record's document as the store keeps it: its bytes, and the time the record was last seen, kept beside it (not
/// in it, so a rescan that finds nothing new leaves the content hash alone). A push reads only its mapping's fields
/// of it; the whole document is built only when something needs more, and then once.
public final class StoredDocument: Sendable {
    public let bytes: [UInt8]
    public let discoveredAt: String?
    private let parsed = Mutex<JSON?>(nil)

    public init(bytes: [UInt8], discoveredAt: String?) {
        self.bytes = bytes
        self.discoveredAt = discoveredAt
    }

    /// The document as a mapping sees it, with `discovered_at` in it. The ingest writes only objects: anything else
    /// reads as an empty one.
    public var json: JSON {
        parsed.withLock { parsed in
            if let parsed { return parsed }
            var document: JSON = [:]
            if case .object(var fields) = try? JSON.parse(bytes) {
                if let discoveredAt { fields["discovered_at"] = .string(discoveredAt) }
                document = .object(fields)
            }
            parsed = document
            return document
        }
    }

    /// Where the values under `paths` in `json` are written in the bytes; nil when only the whole document settles
    /// them.
    func sources(at paths: JSONPaths) -> Sources? {
        // Anything but an object reads as an empty one, without `discovered_at`: `json` settles it.
        guard bytes.first == UInt8(ascii: "{"),
            let ranges = try? bytes.withUnsafeBufferPointer({ (buffer) throws(JSONParseError) in
                try paths.ranges(in: buffer)
            })
        else { return nil }
        var kept: [JSON?] = []  // most mappings read no `discovered_at`: nothing to look up per field
        if let discoveredAt {  // kept beside the bytes, not in them
            for (index, path) in paths.paths.enumerated() where path.first == "discovered_at" {
                if kept.isEmpty { kept = Array(repeating: nil, count: paths.paths.count) }
                kept[index] = path.count == 1 ? .string(discoveredAt) : .null
            }
        }
        return Sources(bytes: bytes, ranges: ranges, kept: kept)
    }

    /// The values under a mapping's paths, as written in a stored document: a value a mapping forwards as it is is
    /// copied, not built and written again (the host writes every document it stores in the canonical form
    /// `JSON.write` writes; one edited in the file by other means goes out as written there, still valid JSON).
    struct Sources {
        let bytes: [UInt8]
        let ranges: [Range<Int>?]
        /// Values that are not in the bytes (`discovered_at`), by path; empty when there are none.
        let kept: [JSON?]

        private func keptValue(_ index: Int) -> JSON? { kept.isEmpty ? nil : kept[index] }

        /// The value under path `index`; null where there is none.
        func value(_ index: Int) -> JSON {
            if let value = keptValue(index) { return value }
            guard let range = ranges[index] else { return .null }
            return bytes.withUnsafeBufferPointer { buffer in
                (try? JSON.parse(UnsafeBufferPointer(rebasing: buffer[range]))) ?? .null  // checked as it was found
            }
        }

        /// Writes the value under path `index` as `JSON.write` would; false for null, or no value.
        func write(_ index: Int, to output: inout [UInt8]) -> Bool {
            guard keptValue(index) == nil, let range = ranges[index] else {
                let value = value(index)
                guard !value.isNull else { return false }
                value.write(to: &output)
                return true
            }
            switch bytes[range.lowerBound] {
            case UInt8(ascii: "n"): return false
            case UInt8(ascii: "{"), UInt8(ascii: "["):  // written in canonical order, which may differ
                value(index).write(to: &output)
            default: output.append(contentsOf: bytes[range])
            }
            return true
        }
    }
}
