import GRDB

/// A protocol version however a scanner wrote it, as one number with dots: `TLSv1.2`, `TLS 1.2`, `tls1_2`,
/// `TLS-1.2`, `v1.2` and `1.2` are all `1.2`; `TLSv1` is `1.0`, `SSH-2.0` is `2.0`, `IKEv2` is `2.0`. SSL
/// versions stay as written (SSLv3 is not TLS 3). The store keeps versions as written, so their content hashes
/// stay as they were; events and filters compare them this way.
public enum ProtocolVersion {
    public static func normalised(_ version: String) -> String {
        let lowered = version.lowercased().trimmingCharacters(in: .whitespaces)
        guard !lowered.hasPrefix("ssl") else { return lowered }
        let number = String(lowered.drop { !$0.isNumber }.map { $0 == "_" || $0 == "-" ? "." : $0 })
        guard !number.isEmpty else { return lowered }
        return number.contains(".") ? number : number + ".0"
    }

    /// `cc_protocol_version(text)`: `normalised` in SQL, for the inventory's filters.
    static let sqlFunction = DatabaseFunction("cc_protocol_version", argumentCount: 1, pure: true) { values in
        String.fromDatabaseValue(values[0]).map(normalised)
    }
}
