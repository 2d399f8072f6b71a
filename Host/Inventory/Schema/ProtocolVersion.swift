import GRDB

/// A protocol version however a scanner wrote it, as one number with dots: `TLSv1.2`, `TLS 1.2`, `tls1_2`,
/// `TLS-1.2`, `v1.2` and `1.2` are all `1.2`; `TLSv1` is `1.0`, `SSH-2.0` is `2.0`, `IKEv2` is `2.0`. SSL
/// versions stay as written (SSLv3 is not TLS 3). The store keeps versions as written, so their content hashes
/// stay as they were; events and filters compare them this way.
public enum ProtocolVersion {
    public static func normalised(_ version: String) -> String {
        // Bytes, not Foundation: this runs for every TLS record an ingest checks for a weak version.
        var body = version.utf8[...]
        while body.first == 0x20 { body = body.dropFirst() }
        while body.last == 0x20 { body = body.dropLast() }
        func lowered(_ bytes: some Sequence<UInt8>) -> String {
            String(decoding: bytes.lazy.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        guard !body.prefix(3).lazy.map({ $0 | 0x20 }).elementsEqual("ssl".utf8),
            let first = body.firstIndex(where: { (0x30...0x39).contains($0) })
        else { return lowered(body) }
        var number = Array(body[first...].lazy.map { $0 == 0x5F || $0 == 0x2D ? 0x2E : $0 })
        if !number.contains(0x2E) { number += ".0".utf8 }
        return lowered(number)
    }

    /// `cc_protocol_version(text)`: `normalised` in SQL, for the inventory's filters.
    static let sqlFunction = DatabaseFunction("cc_protocol_version", argumentCount: 1, pure: true) { values in
        String.fromDatabaseValue(values[0]).map(normalised)
    }
}
