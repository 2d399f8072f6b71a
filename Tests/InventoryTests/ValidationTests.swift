import Inventory
import JSONCore
import Testing

@Suite struct ValidationTests {
    let validator = RecordValidator()

    func problems(_ raw: JSON) -> [String] {
        switch validator.validate(raw, at: "records[3]") {
        case .valid: return []
        case .invalid(let problems): return problems.map(\.description)
        }
    }

    @Test func theIssuesExampleMessage() {
        var bad = record().objectValue!
        bad["crypto_implementation"] = ["protocol": "TLS", "key_size": -1]
        #expect(
            problems(.object(bad)) == ["records[3].crypto_implementation.key_size: must be a positive integer, got -1"])
    }

    static let rules: [(JSON, String)] = [
        (
            ["asset": ["hostname": "web 01!"], "crypto_implementation": ["protocol": "TLS"]],
            "records[3].asset.hostname: must be a host name (letters, digits, '-', '_' in dot-separated labels not beginning or ending with '-'), got \"web 01!\""
        ),
        (
            ["asset": ["ip_address": "10.0.0.300"], "crypto_implementation": ["protocol": "TLS"]],
            "records[3].asset.ip_address: must be an IPv4 or IPv6 address, got \"10.0.0.300\""
        ),
        (
            ["asset": ["environment": "prod"], "crypto_implementation": ["protocol": "TLS"]],
            "records[3].asset: needs a hostname or an ip_address"
        ),
        (
            ["asset": ["hostname": "a", "environment": "qa"], "crypto_implementation": ["protocol": "TLS"]],
            "records[3].asset.environment: must be production, staging or development, got \"qa\""
        ),
        (
            ["asset": ["hostname": "a"], "crypto_implementation": ["protocol": "FTP"]],
            "records[3].crypto_implementation.protocol: must be TLS, SSH or IPSec, got \"FTP\""
        ),
        (
            ["asset": ["hostname": "a"], "crypto_implementation": [:]],
            "records[3].crypto_implementation.protocol: is required (TLS, SSH or IPSec)"
        ),
        (
            ["asset": ["hostname": "a"], "crypto_implementation": ["protocol": "SSH", "port": 70000]],
            "records[3].crypto_implementation.port: must be a port number (1-65535), got 70000"
        ),
        (
            ["asset": ["hostname": "a"], "crypto_implementation": ["protocol": "SSH", "risk_score": 11]],
            "records[3].crypto_implementation.risk_score: must be a number from 0 to 10, got 11"
        ),
        (
            ["asset": ["hostname": "a"], "crypto_implementation": ["protocol": "SSH", "key_size": "2048"]],
            "records[3].crypto_implementation.key_size: must be a positive integer, got \"2048\""
        ),
        (
            [
                "asset": ["hostname": "a"],
                "crypto_implementation": ["protocol": "SSH", "compliance_status": ["pci": "maybe"]],
            ],
            "records[3].crypto_implementation.compliance_status.pci: must be compliant, non_compliant, unknown or not_applicable, got \"maybe\""
        ),
        (
            [
                "asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS"],
                "certificate": ["expiration_date": "next year"],
            ],
            "records[3].certificate.expiration_date: must be an ISO 8601 date such as 2026-03-14 or 2026-03-14T09:30:00Z, got \"next year\""
        ),
        (
            [
                "asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS"],
                "certificate": ["expiration_date": "2026-02-29"],
            ],
            "records[3].certificate.expiration_date: must be an ISO 8601 date such as 2026-03-14 or 2026-03-14T09:30:00Z, got \"2026-02-29\""
        ),
        (
            [
                "asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS"],
                "discovered_at": "2026-04-31T10:00:00.5+02:00",
            ],
            "records[3].discovered_at: must be an ISO 8601 date such as 2026-03-14 or 2026-03-14T09:30:00Z, got \"2026-04-31T10:00:00.5+02:00\""
        ),
        (
            ["asset": ["hostname": nil, "ip_address": nil], "crypto_implementation": ["protocol": "TLS"]],
            "records[3].asset: needs a hostname or an ip_address"
        ),
        (
            [
                "asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS"],
                "certificate": ["fingerprint_sha256": "abc"],
            ],
            "records[3].certificate.fingerprint_sha256: must be 64 hex digits (SHA-256)"
        ),
        (
            ["asset": ["hostname": "a", "mac_address": "zz"], "crypto_implementation": ["protocol": "TLS"]],
            "records[3].asset.mac_address: must be a MAC address like 00:1a:2b:3c:4d:5e, got \"zz\""
        ),
        (
            ["asset": ["hostnmae": "a", "hostname": "b"], "crypto_implementation": ["protocol": "TLS"]],
            "records[3].asset.hostnmae: is not a field of the standard crypto schema"
        ),
        (
            ["asset": ["hostname": "a"], "crypto_implementation": ["protocol": nil, "port": 443]],
            "records[3].crypto_implementation.protocol: is required (TLS, SSH or IPSec)"
        ),
        (
            ["asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS", "key_size": 65537]],
            "records[3].crypto_implementation.key_size: must be at most 65536 bits, got 65537"
        ),
        (
            ["asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS", "protocol_version": " "]],
            "records[3].crypto_implementation.protocol_version: must not be empty"
        ),
        (
            [
                "asset": ["hostname": "a"],
                "crypto_implementation": ["protocol": "TLS", "cipher_suite": "TLS_AES\nINJECTED \u{1B}[31mred"],
            ],
            "records[3].crypto_implementation.cipher_suite: must not contain control characters (found a line break)"
        ),
        (
            [
                "asset": ["hostname": "a"],
                "crypto_implementation": [
                    "protocol": "TLS", "compliance_status": ["PCI": "compliant", "pci ": "non_compliant"],
                ],
            ],
            "records[3].crypto_implementation.compliance_status.pci : names the same framework as \"PCI\" (names ignore case and surrounding spaces); give each framework once"
        ),
        (
            [
                "asset": ["hostname": "a"],
                "crypto_implementation": ["protocol": "TLS", "compliance_status": [" ": "compliant"]],
            ],
            "records[3].crypto_implementation.compliance_status: names a framework with an empty name; name each framework (pci_dss, hipaa, ...)"
        ),
        (
            [
                "asset": ["hostname": "a"],
                "crypto_implementation": ["protocol": "TLS", "compliance_status": ["a\u{1B}[31mred": "compliant"]],
            ],
            "records[3].crypto_implementation.compliance_status: framework name \"a\\u001b[31mred\" must not contain control characters (found an escape character)"
        ),
        (
            [
                "asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS"],
                "certificate": ["expiration_date": "9999-12-31T23:00:00-05:00"],
            ],
            "records[3].certificate.expiration_date: must be an ISO 8601 date such as 2026-03-14 or 2026-03-14T09:30:00Z, got \"9999-12-31T23:00:00-05:00\""
        ),
        (
            [
                "asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS"],
                "discovered_at": "2026-03-14T09:30:00+99:99",
            ],
            "records[3].discovered_at: must be an ISO 8601 date such as 2026-03-14 or 2026-03-14T09:30:00Z, got \"2026-03-14T09:30:00+99:99\""
        ),
        (["crypto_implementation": ["protocol": "TLS"]], "records[3].asset: is required"),
        ("not an object", "records[3]: must be an object, got string"),
    ]

    @Test(arguments: rules)
    func eachRuleNamesThePath(raw: JSON, message: String) {
        #expect(problems(raw) == [message])
    }

    @Test func everyProblemOfARecordIsReported() {
        let raw: JSON = [
            "asset": ["ip_address": "x"], "crypto_implementation": ["protocol": "TLS", "port": 0, "key_size": 0],
        ]
        #expect(problems(raw).count == 3)
    }

    @Test func valuesAreNormalised() throws {
        let raw: JSON = [
            "asset": [
                "hostname": "WEB01.Example.COM", "environment": "Prod", "mac_address": "00-1A-2B-3C-4D-5E",
                "ip_address": "2001:DB8::1",
            ],
            "crypto_implementation": ["protocol": "tls", "protocol_version": 1.2, "compliance_status": "Compliant"],
            "certificate": ["key_algorithm": "rsa", "expiration_date": "2027-01-01"],
        ]
        guard case .valid(let record) = validator.validate(raw, at: "records[0]") else {
            Issue.record("invalid"); return
        }
        #expect(record.hostname == "web01.example.com")
        #expect(record.environment == "production")
        #expect(record.macAddress == "00:1a:2b:3c:4d:5e")
        #expect(record.ipAddress == "2001:db8::1")
        #expect(record.protocolName == "TLS")
        #expect(record.protocolVersion == "1.2")
        #expect(record.complianceSummary == "compliant")
        #expect(record.document[path: "certificate.key_algorithm"] == "RSA")
        #expect(record.naturalKey == "web01.example.com|TLS|-")
        let ssh: JSON = [
            "asset": ["hostname": "a"], "crypto_implementation": ["protocol": "SSH", "protocol_version": 2.0],
        ]
        guard case .valid(let sshRecord) = validator.validate(ssh, at: "records[1]") else {
            Issue.record("invalid"); return
        }
        #expect(sshRecord.protocolVersion == "2.0")
        let padded: JSON = [
            "asset": ["hostname": "a"], "crypto_implementation": ["protocol": "TLS", "protocol_version": " 1.0 "],
            "certificate": ["expiration_date": "9999-12-31T23:59:59Z"],
        ]
        guard case .valid(let paddedRecord) = validator.validate(padded, at: "records[2]") else {
            Issue.record("invalid"); return
        }
        #expect(paddedRecord.protocolVersion == "1.0")
        // One host, however it is written: the absolute DNS form, an IPv4 address written as IPv6.
        let absolute: JSON = [
            "asset": ["hostname": "Web01.Example.com.", "ip_address": "::FFFF:10.0.0.9"],
            "crypto_implementation": ["protocol": "TLS", "port": 443],
        ]
        guard case .valid(let absoluteRecord) = validator.validate(absolute, at: "records[4]") else {
            Issue.record("invalid"); return
        }
        #expect(absoluteRecord.naturalKey == "web01.example.com|TLS|443")
        #expect(absoluteRecord.ipAddress == "10.0.0.9")
        #expect(paddedRecord.certificateExpiry == "9999-12-31T23:59:59Z")  // the last moment a store can write
    }

    @Test func contentHashIgnoresDiscoveryTime() throws {
        var first = record().objectValue!
        first["discovered_at"] = "2026-11-01T00:00:00Z"
        var second = first
        second["discovered_at"] = "2026-11-20T00:00:00Z"
        guard case .valid(let a) = validator.validate(.object(first), at: "r"),
            case .valid(let b) = validator.validate(.object(second), at: "r")
        else { Issue.record("invalid"); return }
        #expect(a.contentHash == b.contentHash)
        guard case .valid(let c) = validator.validate(record(keySize: 4096), at: "r") else {
            Issue.record("invalid"); return
        }
        #expect(c.contentHash != a.contentHash)
        #expect(c.id == a.id)
    }
}
