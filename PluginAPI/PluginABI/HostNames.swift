/// Host names as ITAM systems name assets, and as the host and plugins tell hosts apart: by the host part of an FQDN. A scanner that found no name writes the
/// address in its place, and an address has no host part: `10.90.0.11` is not host `10`.
public enum HostNames {
    /// `web01` for `web01.example.com`; the name itself when it has no dot; nil for an IPv4 or IPv6 address.
    public static func shortName(_ name: String) -> String? {
        guard !isAddress(name) else { return nil }
        return String(name.prefix { $0 != "." })
    }

    /// Whether two host names are one host: the same, or a short name and an FQDN it begins (`web01` and
    /// `web01.example.com`; `web01.prod.example.com` and `web01.staging.example.com` are two).
    public static func sameHost(_ a: String, _ b: String) -> Bool {
        func shortens(_ short: String, _ long: String) -> Bool { !short.contains(".") && long.hasPrefix(short + ".") }
        return a == b || shortens(a, b) || shortens(b, a)
    }

    /// Whether `name` is an IPv4 address (digits and dots) or an IPv6 one (it holds a colon).
    public static func isAddress(_ name: String) -> Bool {
        name.contains(":") || (!name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") })
    }
}
