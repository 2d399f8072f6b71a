import Foundation

/// A deterministic, realistic estate: servers, load balancers and network devices across two sites, with a mix of
/// strong and weak TLS and SSH and some certificates about to expire. The simulators are seeded from it and the demo
/// ingests its inventory, so what the platform knows and what the target systems know overlap the way they do at a
/// real customer: partly, with different names for the same host.
public struct SampleEstate: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case linuxServer = "linux_server", windowsServer = "windows_server", loadBalancer = "load_balancer"
        case networkDevice = "network_device"
    }

    public struct Certificate: Sendable {
        public let commonName: String
        public let issuer: String
        public let notAfter: Date
        public let keyAlgorithm: String
        public let signatureAlgorithm: String
    }

    /// The one endpoint the inventory knows for the host: TLS on a server, SSH on a network device.
    public struct Endpoint: Sendable {
        public let protocolName: String
        public let version: String
        public let cipherSuites: [String]
        public let port: Int
        public let keySize: Int
        public let certificate: Certificate?
    }

    public struct Host: Sendable {
        /// The short name, as the CMDB and Lansweeper hold it: `web-fra-014`.
        public let name: String
        /// What scanners and Device42 report: `web-fra-014.corp.example.com`.
        public let fqdn: String
        public let ipAddress: String
        public let serialNumber: String
        public let kind: Kind
        public let os: String
        public let manufacturer: String
        public let model: String
        public let environment: String
        /// 0 or 1: the Lansweeper site (Frankfurt, Chicago) the host belongs to.
        public let site: Int
        public let endpoint: Endpoint
        /// Whether the CMDB already has a CI for it (the rest are created by the first push).
        public let inCMDB: Bool
        /// Whether its inventory comes from the CBOM (else from the NDJSON scan).
        public let fromCBOM: Bool
    }

    /// Assets the target systems know that the crypto inventory does not (workstations, printers).
    public struct OtherAsset: Sendable {
        public let name: String
        public let ipAddress: String
        public let serialNumber: String
        public let type: String
        public let site: Int
    }

    public static let sites = [
        (id: "3f0c5a1e-8d2b-4c7a-9e61-2b7f4d1a0c01", name: "Frankfurt DC"),
        (id: "7a9e2c44-1b3d-4f8e-a5c2-6d0e9f3b2c02", name: "Chicago DC"),
    ]
    /// A site the sandbox's token may not read: configuring it must fail with Lansweeper's access error.
    public static let forbiddenSite = (id: "c1d2e3f4-0000-4000-8000-00000000dead", name: "Acquired Co (no access)")

    public let hosts: [Host]
    public let others: [OtherAsset]
    public let generatedAt: Date

    public init(hosts count: Int = 300, seed: UInt64 = 2026, now: Date = Date()) {
        var random = SplitMix64(seed: seed)
        var hosts: [Host] = []
        for index in 0..<count {
            hosts.append(Self.host(index, now: now, random: &random))
        }
        self.hosts = hosts
        others = (0..<count / 5).map { index in
            let site = index % 2
            return OtherAsset(
                name: "\(site == 0 ? "FRA" : "CHI")-WS-\(String(format: "%04d", 1000 + index))",
                ipAddress: "10.\(40 + site).\(index / 200).\(10 + index % 200)",
                serialNumber: "PF\(String(random.next() % 100_000_000, radix: 36).uppercased())",
                type: index % 7 == 0 ? "Printer" : "Windows", site: site)
        }
        generatedAt = now
    }

    private static func host(_ index: Int, now: Date, random: inout SplitMix64) -> Host {
        let site = index % 2
        let city = site == 0 ? "fra" : "chi"
        let roll = random.next() % 100
        let kind: Kind =
            roll < 55 ? .linuxServer : roll < 78 ? .windowsServer : roll < 88 ? .loadBalancer : .networkDevice
        let role: String
        switch kind {
        case .linuxServer: role = ["web", "app", "api", "db", "mq"][Int(random.next() % 5)]
        case .windowsServer: role = ["win", "ad", "sql", "exch"][Int(random.next() % 4)]
        case .loadBalancer: role = "lb"
        case .networkDevice: role = ["core", "edge", "fw"][Int(random.next() % 3)]
        }
        let name = "\(role)-\(city)-\(String(format: "%03d", index))"
        let environment = ["production", "production", "production", "staging", "development"][Int(random.next() % 5)]
        let hardware: (String, String, String)
        switch kind {
        case .linuxServer: hardware = ("Dell Inc.", "PowerEdge R750", "Red Hat Enterprise Linux 9")
        case .windowsServer: hardware = ("HPE", "ProLiant DL380 Gen10", "Windows Server 2019 Standard")
        case .loadBalancer: hardware = ("F5 Networks", "BIG-IP i5800", "TMOS 16.1")
        case .networkDevice: hardware = ("Cisco Systems", "Catalyst 9300", "IOS XE 17.9")
        }
        return Host(
            name: name, fqdn: "\(name).corp.example.com",
            ipAddress: "10.\(20 + site).\(index / 250).\(4 + index % 250)",
            serialNumber: kind == .networkDevice
                ? "FOC\(String(format: "%08d", 20_000_000 + index * 37))"
                : "SN\(String(format: "%07d", 4_100_000 + index * 13))",
            kind: kind, os: hardware.2, manufacturer: hardware.0, model: hardware.1, environment: environment,
            site: site, endpoint: endpoint(kind: kind, fqdn: "\(name).corp.example.com", now: now, random: &random),
            inCMDB: random.next() % 3 != 0, fromCBOM: index % 8 == 7)
    }

    private static func endpoint(kind: Kind, fqdn: String, now: Date, random: inout SplitMix64) -> Endpoint {
        if kind == .networkDevice {
            let weak = random.next() % 4 == 0
            return Endpoint(
                protocolName: "SSH", version: "2.0",
                cipherSuites: weak
                    ? ["aes128-cbc", "diffie-hellman-group1-sha1", "hmac-sha1"]
                    : ["chacha20-poly1305@openssh.com", "curve25519-sha256", "hmac-sha2-256-etm@openssh.com"],
                port: 22, keySize: weak ? 1024 : 3072, certificate: nil)
        }
        let profile = random.next() % 20
        let (version, suites, keySize): (String, [String], Int)
        switch profile {
        case 0..<9: (version, suites, keySize) = ("1.3", ["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"], 2048)
        case 9..<14:
            (version, suites, keySize) = (
                "1.2", ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"], 3072
            )
        case 14..<17:
            (version, suites, keySize) = (
                "1.2", ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"], 2048
            )
        case 17..<19:
            (version, suites, keySize) = ("1.1", ["TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_RC4_128_SHA"], 1024)
        default: (version, suites, keySize) = ("1.0", ["TLS_RSA_WITH_RC4_128_MD5"], 1024)
        }
        // One certificate in eight expires within the month; the rest within two years.
        let days = random.next() % 8 == 0 ? Int(random.next() % 28) + 2 : Int(random.next() % 700) + 40
        let selfSigned = keySize == 1024
        let certificate = Certificate(
            commonName: fqdn,
            issuer: selfSigned ? "CN=\(fqdn)" : "CN=Example Issuing CA 2, O=Example Corp, C=US",
            notAfter: Calendar(identifier: .gregorian).startOfDay(for: now).addingTimeInterval(Double(days) * 86_400),
            keyAlgorithm: "RSA", signatureAlgorithm: selfSigned ? "sha1WithRSAEncryption" : "sha256WithRSAEncryption")
        return Endpoint(
            protocolName: "TLS", version: version, cipherSuites: suites, port: 443,
            keySize: keySize, certificate: certificate)
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same estate on every machine.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
