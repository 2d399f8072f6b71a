import Foundation
import Inventory
import JSONCore
import Store
import Testing

@Suite struct EventTests {
    func alerts(for raw: JSON) throws -> [String] {
        let fixture = try InventoryFixture()
        _ = try fixture.ingestor.ingest(records: [raw], tenant: "t")
        return try fixture.repository.events(tenant: "t").filter { $0.event.kind == .alert }
            .flatMap { $0.event.detail["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    }

    @Test func strongConfigurationRaisesNoAlert() throws {
        #expect(try alerts(for: record()) == [])
        // Without the algorithm, a curve's size is a curve's.
        for size in [256, 384, 521] { #expect(try alerts(for: Self.keyWithoutAlgorithm(size)) == []) }
    }

    /// A record whose key size is known and its algorithm not.
    static func keyWithoutAlgorithm(_ size: Int) -> JSON {
        [
            "asset": ["hostname": "old-device"],
            "crypto_implementation": ["protocol": "TLS", "protocol_version": "1.3", "key_size": JSON(size)],
        ]
    }

    @Test(arguments: [
        (record(version: "1.1"), "TLS 1.1 is below TLS 1.2"),
        (record(version: "SSLv3"), "SSLv3 is obsolete (use TLS 1.2 or later)"),
        (record(keySize: 1024), "RSA key of 1024 bits is below 2048"),
        (record(signature: "sha1WithRSAEncryption"), "certificate signed with sha1WithRSAEncryption"),
        (record(suite: "TLS_RSA_WITH_RC4_128_SHA"), "cipher suite TLS_RSA_WITH_RC4_128_SHA uses RC4"),
        (
            record(suite: "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            "cipher suite TLS_RSA_WITH_3DES_EDE_CBC_SHA uses 3DES (Sweet32)"
        ),
        (record(suite: "TLS_RSA_WITH_NULL_SHA256"), "cipher suite TLS_RSA_WITH_NULL_SHA256 has no encryption"),
        (record(risk: 7), "risk score 7 is at or above 7"),
        (record(version: " 1.0"), "TLS 1.0 is below TLS 1.2"),
        (record(version: "tls1_1"), "TLS 1.1 is below TLS 1.2"),
        (record(version: "TLS_1_1"), "TLS 1.1 is below TLS 1.2"),
        (record(version: "TLS v1.1"), "TLS 1.1 is below TLS 1.2"),
        (record(version: "v1.1"), "TLS 1.1 is below TLS 1.2"),
        (record(version: "TLS-1.1"), "TLS 1.1 is below TLS 1.2"),
        (record(version: "TLSv1"), "TLS 1.0 is below TLS 1.2"),
        (Self.keyWithoutAlgorithm(512), "RSA key of 512 bits is below 2048"),
        (Self.keyWithoutAlgorithm(768), "RSA key of 768 bits is below 2048"),
        (Self.keyWithoutAlgorithm(128), "RSA key of 128 bits is below 2048"),
        (record(suite: "esp-des-sha1"), "cipher suite esp-des-sha1 uses DES"),
        (record(suite: "des-sha1-modp2048"), "cipher suite des-sha1-modp2048 uses DES"),
        (record(suite: "DES-CBC-SHA"), "cipher suite DES-CBC-SHA uses DES"),
        (record(suite: "des-ede3-cbc"), "cipher suite des-ede3-cbc uses 3DES (Sweet32)"),
        (record(suite: "DES-CBC3-SHA"), "cipher suite DES-CBC3-SHA uses 3DES (Sweet32)"),
        (
            record(suite: "diffie-hellman-group1-sha1"),
            "cipher suite diffie-hellman-group1-sha1 uses a 1024-bit DH group"
        ),
        (
            [
                "asset": ["hostname": "old-switch"],
                "crypto_implementation": ["protocol": "SSH", "protocol_version": "1.5"],
            ] as JSON,
            "SSH protocol version 1 (1.5)"
        ),
    ])
    func weakConfigurationsRaiseAlerts(raw: JSON, reason: String) throws {
        #expect(try alerts(for: raw).contains(reason))
    }

    /// The negotiated suite and every offered one are checked, whatever their case; a suite named twice is reported
    /// once, in the order the record names them.
    @Test func everyWeakSuiteIsNamedOnceInOrder() throws {
        var raw = record(suite: "tls_rsa_with_rc4_128_sha", signature: "ecdsa-with-Sha1").objectValue!
        var crypto = raw["crypto_implementation"]!.objectValue!
        crypto["cipher_suites"] = [
            "TLS_AES_128_GCM_SHA256", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "tls_rsa_with_rc4_128_sha",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA",
        ]
        raw["crypto_implementation"] = .object(crypto)
        #expect(
            try alerts(for: .object(raw)) == [
                "certificate signed with ecdsa-with-Sha1",
                "cipher suite tls_rsa_with_rc4_128_sha uses RC4",
                "cipher suite TLS_RSA_WITH_3DES_EDE_CBC_SHA uses 3DES (Sweet32)",
                "cipher suite TLS_DH_anon_WITH_AES_128_CBC_SHA has no authentication",
            ])
    }

    /// A risk score alerts again when it rises, or comes back above the threshold; not when it falls and stays
    /// high, which would alert for every rescan of an improving host.
    @Test func aRiskScoreAlertsAgainOnlyWhenItRises() throws {
        let fixture = try InventoryFixture()
        for risk in [9, 8, 7, 10, 3, 8] {
            _ = try fixture.ingestor.ingest(records: [record(risk: risk)], tenant: "t")
        }
        #expect(
            try fixture.repository.events(tenant: "t").filter { $0.event.kind == .alert }.map {
                $0.event.detail["reasons"]?[0]?.stringValue ?? ""
            } == [
                "risk score 9 is at or above 7", "risk score 10 is at or above 7", "risk score 8 is at or above 7",
            ])
    }

    /// Names that merely contain the letters of a weak algorithm are not weak.
    @Test(arguments: ["TLS_AES_256_GCM_SHA384", "chacha20-poly1305@openssh.com", "aes256-gcm-sha384-modp2048", "DESX"])
    func strongSuitesRaiseNoAlert(suite: String) throws {
        #expect(try alerts(for: record(suite: suite)) == [])
    }

    @Test func ellipticKeysAreNotTooSmall() throws {
        var raw = record(keySize: 256).objectValue!
        raw["certificate"] = ["key_algorithm": "ECDSA"]
        #expect(try alerts(for: .object(raw)) == [])
    }

    @Test func discoveryComplianceChangeAndExpiry() throws {
        let fixture = try InventoryFixture(rules: EventRules(expiryWindowDays: 30))
        _ = try fixture.ingestor.ingest(
            records: [record(expires: "2026-12-10"), record(host: "far", expires: "2027-12-01")], tenant: "t")
        var kinds = try fixture.repository.events(tenant: "t").map { "\($0.event.kind.rawValue)/\($0.event.severity)" }
        #expect(kinds == ["discovery/info", "certificate_expiry/medium", "discovery/info"])
        let expiry = try #require(
            try fixture.repository.events(tenant: "t").first { $0.event.kind == .certificateExpiry })
        #expect(expiry.event.detail["days_remaining"] == 14)

        // Same data again: nothing new. Then a compliance change and an expired certificate.
        _ = try fixture.ingestor.ingest(
            records: [record(expires: "2026-12-10"), record(host: "far", expires: "2027-12-01")], tenant: "t")
        #expect(try fixture.repository.events(tenant: "t").count == 3)
        _ = try fixture.ingestor.ingest(
            records: [
                record(compliance: "non_compliant", expires: "2026-12-10"), record(host: "far", expires: "2026-11-01"),
            ], tenant: "t")
        kinds = try fixture.repository.events(tenant: "t").dropFirst(3).map {
            "\($0.event.kind.rawValue)/\($0.event.severity)"
        }
        #expect(kinds == ["compliance_change/high", "certificate_expiry/critical"])
        let change = try #require(
            try fixture.repository.events(tenant: "t").first { $0.event.kind == .complianceChange })
        #expect(change.event.detail["from"] == "compliant")
        #expect(change.event.detail["to"] == "non_compliant")
    }

    /// One framework failing while another recovers leaves the record non-compliant as a whole, yet it is a
    /// compliance change, and a high one: a framework has just become non-compliant. A change of another field
    /// raises none.
    @Test func aFrameworkChangingIsAComplianceChangeWhateverTheSummary() throws {
        let fixture = try InventoryFixture()
        func scan(_ statuses: JSON, risk: Int = 2) -> JSON {
            var raw = record(risk: risk).objectValue!
            var crypto = raw["crypto_implementation"]!.objectValue!
            crypto["compliance_status"] = statuses
            raw["crypto_implementation"] = .object(crypto)
            return .object(raw)
        }
        _ = try fixture.ingestor.ingest(records: [scan(["pci": "non_compliant", "hipaa": "compliant"])], tenant: "t")
        _ = try fixture.ingestor.ingest(records: [scan(["pci": "compliant", "hipaa": "non_compliant"])], tenant: "t")
        _ = try fixture.ingestor.ingest(
            records: [scan(["pci": "compliant", "hipaa": "non_compliant"], risk: 3)], tenant: "t")
        let changes = try fixture.repository.events(tenant: "t").filter { $0.event.kind == .complianceChange }
        #expect(changes.count == 1)
        #expect(changes.first?.event.severity == "high")
        #expect(
            changes.first?.event.detail["changes"]
                == [
                    "pci": ["from": "non_compliant", "to": "compliant"],
                    "hipaa": ["from": "compliant", "to": "non_compliant"],
                ])
        #expect(changes.first?.event.detail["to"] == "non_compliant")
    }

    /// The scanner reports the same certificate every week: the week it comes within 30 days, it raises
    /// `certificate_expiry` once, though the record did not change; a later change of another field does not repeat it.
    @Test func aCertificateDriftingIntoTheWindowRaisesItsEventOnce() throws {
        let fixture = try InventoryFixture(rules: EventRules(expiryWindowDays: 30))
        final class Clock: @unchecked Sendable { var now = InventoryFixture.now }
        let clock = Clock()
        let ingestor = Ingestor(store: fixture.store, rules: EventRules(expiryWindowDays: 30), now: { clock.now })
        func expiries() throws -> [String] {
            try fixture.repository.events(tenant: "t").filter { $0.event.kind == .certificateExpiry }.map {
                "\($0.event.severity) \($0.event.detail["days_remaining"]?.serialized() ?? "?")"
            }
        }
        _ = try ingestor.ingest(records: [record(expires: "2027-01-15")], tenant: "t")  // 50 days left
        #expect(try expiries() == [])
        clock.now += 25 * 86_400
        let report = try ingestor.ingest(records: [record(expires: "2027-01-15")], tenant: "t")
        #expect(report.counts.unchanged == 1)
        #expect(try expiries() == ["medium 25"])
        _ = try ingestor.ingest(records: [record(expires: "2027-01-15")], tenant: "t")
        _ = try ingestor.ingest(records: [record(risk: 3, expires: "2027-01-15")], tenant: "t")
        #expect(try expiries() == ["medium 25"])
        // A renewed certificate that is itself close to expiry is announced again.
        _ = try ingestor.ingest(records: [record(expires: "2027-01-05")], tenant: "t")
        #expect(try expiries() == ["medium 25", "medium 15"])
    }

    /// Days left count one way everywhere: a date alone is valid through that day, counted in calendar days; a date
    /// with a time by the time left. The event's count and `expires_within_days` agree.
    @Test func theExpiryEventAndTheFilterCountDaysAlike() throws {
        let fixture = try InventoryFixture(rules: EventRules(expiryWindowDays: 30))  // now: 2026-11-26T12:00:00Z
        _ = try fixture.ingestor.ingest(
            records: [
                record(host: "day30", expires: "2026-12-26"), record(host: "time29", expires: "2026-12-26T11:00:00Z"),
                record(host: "today", expires: "2026-11-26"), record(host: "yesterday", expires: "2026-11-25"),
            ], tenant: "t")
        let days = try fixture.repository.events(tenant: "t").filter { $0.event.kind == .certificateExpiry }
            .reduce(into: [String: Int]()) {
                $0[$1.event.detail["hostname"]?.stringValue ?? "?"] = $1.event.detail["days_remaining"]?.intValue
            }
        #expect(days == ["day30": 30, "time29": 29, "today": 0, "yesterday": -1])
        func within(_ days: Int) throws -> [String] {
            try fixture.repository.list(
                tenant: "t", filter: try InventoryFilter(["expires_within_days=\(days)"], now: InventoryFixture.now)
            ).compactMap { $0.document[path: "asset.hostname"]?.stringValue }.sorted()
        }
        #expect(try within(30) == ["day30", "time29", "today", "yesterday"])
        #expect(try within(29) == ["time29", "today", "yesterday"])
        #expect(try within(0) == ["today", "yesterday"])
        #expect(try within(-1) == ["yesterday"])
    }

    /// A store from before `expiry_notified` existed: certificates already announced are not announced again.
    @Test func anUpgradeRemembersExpiriesAlreadyAnnounced() throws {
        let fixture = try InventoryFixture(rules: EventRules(expiryWindowDays: 30))
        let records = [record(expires: "2026-12-10"), record(host: "far", expires: "2027-06-01")]
        _ = try fixture.ingestor.ingest(records: records, tenant: "t")
        try fixture.store.pool.write { db in
            try db.execute(
                sql: """
                    DROP INDEX inventory_record_delta;
                    ALTER TABLE inventory_record DROP COLUMN expiry_notified;
                    CREATE INDEX inventory_record_delta ON inventory_record (tenant, id, content_hash, discovered_at);
                    DELETE FROM grdb_migrations WHERE identifier = 'v7-expiry-notified';
                    """)
        }
        let upgraded = try Store(path: fixture.folder.path + "/cc.sqlite")
        let ingestor = Ingestor(store: upgraded, rules: EventRules(expiryWindowDays: 30), now: { InventoryFixture.now })
        _ = try ingestor.ingest(records: records, tenant: "t")
        #expect(try fixture.events().filter { $0.hasPrefix("certificate_expiry") }.count == 1)
    }

    /// What a pull filled in (a serial number) survives a rescan that does not know it, and a weak record alerts
    /// once for its weakness, not again for every unrelated change.
    @Test func aRescanKeepsIdentityItDoesNotKnowAndAlertsOnlyForNewWeaknesses() throws {
        let fixture = try InventoryFixture()
        let weak = record(suite: "TLS_RSA_WITH_3DES_EDE_CBC_SHA")
        _ = try fixture.ingestor.ingest(records: [weak], tenant: "t")
        var enriched = weak.objectValue!
        enriched["asset"] = ["hostname": "web01.example.com", "ip_address": "10.0.0.1", "serial_number": "SN-42"]
        let pulled = try fixture.ingestor.ingest(records: [.object(enriched)], tenant: "t")
        #expect(pulled.counts.updated == 1)  // environment kept, serial added

        let rescan = try fixture.ingestor.ingest(records: [weak], tenant: "t")
        #expect(rescan.counts.unchanged == 1)
        // The scan's own hash is kept beside the record's, so the next rescan is told unchanged from the index.
        let scanHash = try fixture.store.pool.read {
            try String.fetchOne($0, sql: "SELECT scan_hash FROM inventory_record")
        }
        guard case .valid(let asScanned) = RecordValidator().validate(weak, at: "r") else { return }
        #expect(scanHash == asScanned.contentHash)
        #expect(try fixture.ingestor.ingest(records: [weak], tenant: "t").counts.unchanged == 1)
        let stored = try #require(try fixture.repository.list(tenant: "t").first).document
        #expect(stored[path: "asset.serial_number"] == "SN-42")
        #expect(stored[path: "asset.environment"] == "production")

        // A value the scan carries wins; the alert for 3DES is not repeated, a new weakness alerts.
        var moved = weak.objectValue!
        moved["asset"] = ["hostname": "web01.example.com", "ip_address": "10.0.0.1", "serial_number": "SN-43"]
        #expect(try fixture.ingestor.ingest(records: [.object(moved)], tenant: "t").counts.updated == 1)
        _ = try fixture.ingestor.ingest(
            records: [record(suite: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", keySize: 1024)], tenant: "t")
        let alerts = try fixture.repository.events(tenant: "t", kind: .alert).map {
            $0.event.detail["reasons"]?.arrayValue?.count ?? 0
        }
        #expect(alerts == [1, 2])
    }
}
