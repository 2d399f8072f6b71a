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

    /// The values under `paths` in `json`, read from the bytes; nil when only the whole document settles them.
    func values(at paths: JSONPaths) -> [JSON]? {
        // Anything but an object reads as an empty one, without `discovered_at`: `json` settles it.
        guard bytes.first == UInt8(ascii: "{"),
            var values = try? bytes.withUnsafeBufferPointer({ (buffer) throws(JSONParseError) in
                try paths.values(in: buffer)
            })
        else { return nil }
        if let discoveredAt {
            for (index, path) in paths.paths.enumerated() where path.first == "discovered_at" {
                values[index] = path.count == 1 ? .string(discoveredAt) : .null
            }
        }
        return values
    }
}
