import Foundation
import JSONCore
import SyncEngine
import TestSupport
import Testing

/// A mapping that sends one item per asset, against the REST sink: a host's records go as one item, made of the
/// riskiest, and every one of them is settled with it.
@Suite struct OneItemPerAssetTests {
    static let mapping: JSON = [
        "one_item_per": "asset",
        "mapping": [
            ["source_field": "asset.hostname", "target_field": "name"],
            ["source_field": "crypto_implementation.cipher_suite", "target_field": "cipher"],
            [
                "source_field": "crypto_implementation.protocol_version", "target_field": "version",
                "transform": #"map({"1.2": "modern", "1.3": "modern"})"#,
            ],
        ],
    ]

    func endpoint(
        _ host: String?, ip: String? = nil, port: Int, risk: Double, version: String = "1.3",
        suite: String = "TLS_AES_256_GCM_SHA384"
    ) -> JSON {
        var asset: [String: JSON] = [:]
        if let host { asset["hostname"] = .string(host) }
        if let ip { asset["ip_address"] = .string(ip) }
        return [
            "asset": .object(asset),
            "crypto_implementation": [
                "protocol": "TLS", "port": JSON(port), "risk_score": .number(risk),
                "protocol_version": .string(version),
                "cipher_suite": .string(suite),
            ],
        ]
    }

    func fixture() throws -> EngineFixture {
        let fixture = try EngineFixture()
        try fixture.integration(mapping: Self.mapping)
        return fixture
    }

    /// A refused item dead-letters every record it stands for, so the next push does not send it again.
    @Test func aRefusedItemSettlesEveryRecordOfItsAsset() throws {
        let fixture = try fixture()
        fixture.sink.rejectFieldValue = "TLS_RSA_WITH_RC4_128_SHA"
        try fixture.ingest([
            endpoint("web01", port: 443, risk: 9, suite: "TLS_RSA_WITH_RC4_128_SHA"),
            endpoint("web01", port: 8443, risk: 2),
        ])
        let first = try fixture.push("acme-sink")
        #expect(first.stats?["selected"] == 2)
        #expect(first.stats?["dead_lettered"] == 2)
        let again = try fixture.push("acme-sink")
        #expect(again.stats?["selected"] == 0)
        #expect(fixture.sink.requests == 1)
    }

    /// The riskiest record that the mapping refuses is dead-lettered on its own; the next riskiest makes the item.
    @Test func aRecordTheMappingRefusesLeavesTheNextRiskiest() throws {
        let fixture = try fixture()
        try fixture.ingest([
            endpoint("web01", port: 443, risk: 9, version: "1.0"), endpoint("web01", port: 8443, risk: 2),
        ])
        let job = try fixture.push("acme-sink")
        #expect(job.stats?["dead_lettered"] == 1)
        #expect(job.stats?["acknowledged"] == 1)
        #expect(fixture.sink.stored.values.map { $0.fields["version"] } == ["modern"])
    }

    /// A host named by its address and a record known only by that address are one asset, as a short name and
    /// the one FQDN it begins are; the item names the asset by its FQDN, whichever record is riskiest.
    @Test func assetsAreHostNamesOrAddresses() throws {
        let fixture = try fixture()
        fixture.engine.batchSize = 1
        try fixture.ingest([
            endpoint("10.0.0.5", port: 443, risk: 2), endpoint(nil, ip: "10.0.0.5", port: 22, risk: 9),
            endpoint("web01", port: 443, risk: 9), endpoint("web01.example.com", port: 8443, risk: 1),
        ])
        let job = try fixture.push("acme-sink")
        #expect(job.stats?["acknowledged"] == 4)
        #expect(job.stats?["pushed"] == 2)
        #expect(try fixture.engine.delivery.pendingCount(integration: "acme-sink", tenant: "acme") == 0)
        #expect(
            Set(fixture.sink.stored.values.compactMap { $0.fields["name"]?.stringValue })
                == ["web01.example.com", "10.0.0.5"])
    }

    /// A short name two FQDNs begin is a host of its own, read the same way whichever batch meets it first: each
    /// record is sent once.
    @Test func aShortNameOfTwoDomainsIsItsOwnHost() throws {
        let fixture = try fixture()
        fixture.engine.batchSize = 1
        try fixture.ingest([
            endpoint("web01.prod.example.com", port: 443, risk: 2),
            endpoint("web01.staging.example.com", port: 443, risk: 3),
            endpoint("web01", port: 443, risk: 9),
        ])
        let job = try fixture.push("acme-sink")
        #expect(job.stats?["selected"] == 3)
        #expect(job.stats?["pushed"] == 3)
        #expect(
            Set(fixture.sink.stored.values.compactMap { $0.fields["name"]?.stringValue })
                == ["web01", "web01.prod.example.com", "web01.staging.example.com"])
    }

    /// The item stands for whichever record is riskiest now: a certificate field that record lacks is sent empty,
    /// clearing another endpoint's expiry; an identity field it lacks is not touched.
    @Test func aFieldTheRiskiestLacksIsClearedButNotIdentity() throws {
        let fixture = try EngineFixture()
        try fixture.integration(mapping: [
            "one_item_per": "asset",
            "mapping": [
                ["source_field": "asset.hostname", "target_field": "name"],
                ["source_field": "asset.serial_number", "target_field": "serial"],
                ["source_field": "certificate.expiration_date", "target_field": "expiry"],
            ],
        ])
        var tls = endpoint("web01", port: 443, risk: 2).objectValue!
        tls["certificate"] = ["expiration_date": "2027-01-01"]
        try fixture.ingest([.object(tls), endpoint("web01", port: 22, risk: 9)])
        _ = try fixture.push("acme-sink")
        let item = try #require(fixture.sink.stored.values.first)
        #expect(item.fields["expiry"] == "")  // the SSH endpoint, riskiest, has no certificate
        #expect(item.fields["serial"] == nil)
        #expect(item.fields["name"] == "web01")
    }

    /// A full push retried after its cursor sends again only what came after it, and counts each record once,
    /// whichever batches an asset's records fall in.
    @Test func aRetriedFullPushCountsEachRecordOnce() throws {
        let fixture = try fixture()
        fixture.engine.batchSize = 4
        try fixture.ingest(
            (0..<10).flatMap { [endpoint("host\($0)", port: 443, risk: 2), endpoint("host\($0)", port: 22, risk: 1)] })
        // The host sent last fails: batches before it are committed, and hosts among them have records after it.
        let firstIDs = Dictionary(
            grouping: try fixture.engine.inventory.list(tenant: "acme"),
            by: { $0.document[path: "asset.hostname"]?.stringValue ?? "" }
        ).mapValues { $0.map(\.id).min()! }
        let last = try #require(firstIDs.max { $0.value < $1.value }?.key)
        fixture.sink.refuseRequestsContaining = "\"\(last)\""
        fixture.sink.refusalStatus = 503
        let failed = try fixture.push("acme-sink", full: true)
        #expect(failed.state == .queued)
        #expect(failed.pushCursor != nil)
        fixture.sink.refuseRequestsContaining = nil
        fixture.clock.advance(600)
        try fixture.engine.drain(owner: "test")
        let job = try #require(try fixture.engine.queue.job(failed.id))
        #expect(job.state == .succeeded)
        #expect(job.stats?["selected"] == 20)
        #expect(job.stats?["acknowledged"] == 20)
    }
}
