import Foundation
import HostServices
import JSONCore
import PluginABI
import PluginRuntime
import Sandbox
import SyncEngine
import TestSupport
import Testing

/// The checks every ITAM connector passes against its simulator: connection test, schema, push create, push
/// update without duplicates, and pull paging past the first page.
@Suite struct ConformanceTests {
    @Test(arguments: Connector.allCases)
    func connectionTestAcceptsGoodCredentialsAndRefusesBadOnes(_ connector: Connector) throws {
        let fixture = try ConnectorFixture(connector)
        var bad = fixture.configuration().objectValue!
        var auth = bad["auth"]!.objectValue!
        auth[auth["password"] != nil ? "password" : "key"] = "wrong-secret-4711"
        bad["auth"] = .object(auth)

        let refused = #expect(throws: IntegrationSetupError.self) { try fixture.enable(.object(bad)) }
        #expect(refused?.description.contains("connection test failed: auth_error") == true, "\(refused!)")
        #expect(refused?.description.contains("wrong-secret-4711") == false)
        #expect(try fixture.engine.integrations.integration(fixture.integrationID) == nil)

        let added = try fixture.enable()
        #expect(added.connectionTest?.isEmpty == false)
        #expect(added.sealedSecrets == [connector == .lansweeper ? "auth.key" : "auth.password"])
    }

    @Test(arguments: Connector.allCases)
    func theSampleConfigurationIsValidAndItsSecretsAreSealed(_ connector: Connector) throws {
        let fixture = try ConnectorFixture(connector, hosts: 5)
        let path = PackagePaths.root.appendingPathComponent("Plugins/\(connector.folder)/sample-config.json")
        let sample = try JSON.parse(Array(try Data(contentsOf: path)))
        let schema = try fixture.engine.catalog.resolve(connector.rawValue).manifest.configSchema
        let prepared = try PreparedConfiguration(sample, schema: schema)
        #expect(!prepared.secrets.isEmpty)
        #expect(!prepared.pluginConfiguration.serialized().contains("REPLACE-"))
        // Lansweeper's limit (150 requests a minute) is what an integration runs with unless it says otherwise; the
        // host's 20 a second would lock it out within seconds.
        if connector == .lansweeper {
            #expect(prepared.pluginConfiguration["rate_limit"] == ["requests_per_second": 2.4, "burst": 6])
            #expect(prepared.settings?.rateLimit.requestsPerSecond == 2.4)
            var faster = sample.objectValue!
            faster["rate_limit"] = ["requests_per_second": 1]
            let own = try PreparedConfiguration(.object(faster), schema: schema).pluginConfiguration["rate_limit"]
            #expect(own == ["requests_per_second": 1, "burst": 6])

            // An integration saved without it (before the plugin named the limit) runs with it all the same.
            var stored = fixture.configuration().objectValue!
            stored["rate_limit"] = nil
            let integration = try fixture.enable(.object(stored)).integration
            try fixture.engine.store.pool.write {
                try $0.execute(
                    sql:
                        "UPDATE integration SET configuration = json_remove(configuration, '$.rate_limit') WHERE id = ?",
                    arguments: [integration.id])
            }
            let saved = try #require(try fixture.engine.integrations.integration(integration.id))
            #expect(saved.configuration["rate_limit"] == nil)
            #expect(try fixture.engine.runtime(for: saved).http?.settings.rateLimit.requestsPerSecond == 2.4)
        }
    }

    @Test(arguments: Connector.allCases)
    func schemaOffersEveryFieldTheDefaultMappingWrites(_ connector: Connector) throws {
        let fixture = try ConnectorFixture(connector)
        let runtime = try fixture.engine.runtime(for: try fixture.enable().integration)
        let outcome = try fixture.engine.supervisor.call(
            runtime.build, instance: runtime.instance, operation: .schema, services: runtime.services)
        #expect(outcome.status == .ok)
        let schema = try JSON.parse(outcome.output)
        let offered = Set(
            (schema["tables"]?.arrayValue ?? []).flatMap { $0["fields"]?.arrayValue ?? [] }
                .compactMap { $0["name"]?.stringValue })
        let written = runtime.mapping.entries.map(\.targetField)
        #expect(written.count >= 5)
        #expect(Set(written).subtracting(offered).isEmpty, "not in the schema: \(Set(written).subtracting(offered))")
    }

    @Test(arguments: Connector.allCases)
    func pushCreatesThenUpdatesWithoutDuplicates(_ connector: Connector) throws {
        let fixture = try ConnectorFixture(connector)
        try fixture.enable()
        let records = fixture.scannerRecords
        let hosts = ConnectorFixture.hosts(records)
        try fixture.ingest(records)
        let before = fixture.targetRecords()

        let created = try fixture.run(.push)
        #expect(created.state == .succeeded, "\(created.error ?? "")")
        #expect(created.count("acknowledged") == records.count)
        let afterCreate = fixture.targetRecords()
        for host in hosts {
            #expect(afterCreate[host]?.count == 1, "\(host) should be one record in \(connector.simulator)")
            #expect(afterCreate[host]?.first?.cryptoContext[connector.riskField] != nil, "\(host) has no risk")
        }
        if connector == .serviceNow {
            // Hosts the CMDB did not know became CIs through IRE; known ones were updated in place.
            let unknown = hosts.subtracting(before.keys)
            #expect(!unknown.isEmpty)
            #expect(afterCreate.count == before.count + unknown.count)
        } else {
            #expect(afterCreate.keys.sorted() == before.keys.sorted())
        }

        let changed = records.prefix(5).map { withRisk($0, 9) }
        try fixture.ingest(changed)
        let updated = try fixture.run(.push)
        #expect(updated.state == .succeeded)
        #expect(updated.count("pushed") == 5)
        let afterUpdate = fixture.targetRecords()
        #expect(afterUpdate.mapValues(\.count) == afterCreate.mapValues(\.count))
        for host in ConnectorFixture.hosts(changed) {
            #expect(afterUpdate[host]?.first?.cryptoContext[connector.riskField] == "90", "\(host)")
        }

        let full = try fixture.run(.push, full: true)
        #expect(full.count("pushed") == records.count)
        #expect(full.count("acknowledged") == records.count)
        #expect(fixture.targetRecords().mapValues(\.count) == afterCreate.mapValues(\.count))
    }

    /// A host with several endpoints is one item in the target, carrying its riskiest endpoint: a later change to
    /// a benign endpoint does not replace a critical finding in the CMDB, nor mix fields of two endpoints.
    @Test(arguments: Connector.allCases)
    func aHostsItemCarriesItsRiskiestEndpoint(_ connector: Connector) throws {
        let fixture = try ConnectorFixture(connector)
        try fixture.enable()
        let base = try #require(fixture.scannerRecords.first)
        let host = try #require(ConnectorFixture.hosts([base]).first)
        func endpoint(port: Int, risk: Int, suite: String) -> JSON {
            var crypto = withRisk(base, risk)["crypto_implementation"]!.objectValue!
            crypto["port"] = JSON(port)
            crypto["cipher_suite"] = .string(suite)
            var document = base.objectValue!
            document["crypto_implementation"] = .object(crypto)
            return .object(document)
        }
        try fixture.ingest([
            endpoint(port: 8443, risk: 9, suite: "TLS_RSA_WITH_RC4_128_SHA"),
            endpoint(port: 9443, risk: 2, suite: "TLS_AES_256_GCM_SHA384"),
        ])
        let first = try fixture.run(.push)
        #expect(first.state == .succeeded, "\(first.error ?? "")")
        #expect(first.count("acknowledged") == 2)
        #expect(first.count("pushed") == 1)  // one item for the host
        #expect(fixture.targetRecords()[host]?.count == 1)
        #expect(fixture.targetRecords()[host]?.first?.cryptoContext[connector.riskField] == "90")

        try fixture.ingest([endpoint(port: 9443, risk: 3, suite: "TLS_AES_128_GCM_SHA256")])
        let second = try fixture.run(.push)
        #expect(second.count("acknowledged") == 2)
        #expect(fixture.targetRecords()[host]?.count == 1)
        #expect(fixture.targetRecords()[host]?.first?.cryptoContext[connector.riskField] == "90")
    }

    /// A scanner that found no name writes the address where the name goes: each such host is its own CI, named
    /// by its address and identified by it, not one CI named "10" that every such host overwrites.
    @Test func aHostNamedByItsAddressIsItsOwnCI() throws {
        let fixture = try ConnectorFixture(.serviceNow)
        try fixture.enable()
        let base = try #require(fixture.scannerRecords.first)
        func named(_ address: String, risk: Int) -> JSON {
            var document = withRisk(base, risk).objectValue!
            document["asset"] = ["hostname": .string(address)]
            return .object(document)
        }
        try fixture.ingest([named("10.99.0.7", risk: 9), named("10.99.0.8", risk: 1)])
        let job = try fixture.run(.push)
        #expect(job.state == .succeeded, "\(job.error ?? "")")
        let written = fixture.sandbox.records(in: "servicenow").filter { $0.name.hasPrefix("10.") || $0.name == "10" }
        #expect(written.map(\.name).sorted() == ["10.99.0.7", "10.99.0.8"])
        #expect(written.first { $0.name == "10.99.0.7" }?.cryptoContext[Connector.serviceNow.riskField] == "90")
    }

    /// The configured `class_name` is the class of the CIs a push creates with the default mapping.
    @Test func serviceNowCreatesCIsOfTheConfiguredClass() throws {
        let fixture = try ConnectorFixture(.serviceNow)
        try fixture.enable(fixture.configuration(["class_name": "cmdb_ci_linux_server"]))
        let base = try #require(fixture.scannerRecords.first)
        var document = base.objectValue!
        document["asset"] = ["hostname": "brand-new-host.example.com"]
        try fixture.ingest([.object(document)])
        #expect(try fixture.run(.push).state == .succeeded)
        let created = (fixture.sandbox.state(of: "servicenow")["records"]?.arrayValue ?? []).first {
            $0["name"]?.stringValue?.hasPrefix("brand-new-host") == true
        }
        #expect(created?["sys_class_name"] == "cmdb_ci_linux_server")
    }

    @Test(arguments: Connector.allCases)
    func pullPagesPastTheFirstPageAndCorrelatesWithTheInventory(_ connector: Connector) throws {
        let fixture = try ConnectorFixture(connector)
        fixture.engine.pageSize = 8  // several pages within each Lansweeper site too (20 assets each)
        try fixture.enable()
        try fixture.ingest(fixture.scannerRecords)
        let pull = try fixture.run(.pull)
        #expect(pull.state == .succeeded, "\(pull.error ?? "")")
        let expected = expectedPullCount(fixture)
        #expect(expected > fixture.engine.pageSize)
        #expect(pull.count("pulled") == expected)
        #expect(pull.count("calls") >= (expected + fixture.engine.pageSize - 1) / fixture.engine.pageSize)
        #expect(pull.count("correlated") > 0)
        let stored = try AssetContextRepository(store: fixture.engine.store).contexts(
            integration: fixture.integrationID)
        #expect(stored.count == expected)
    }

    @Test func serviceNowWorksThroughTheOAuthPasswordGrant() throws {
        let fixture = try ConnectorFixture(.serviceNow)
        let added = try fixture.enable(fixture.configuration(["auth": fixture.sandbox.serviceNowOAuth]))
        #expect(added.sealedSecrets == ["auth.client_secret", "auth.password"])
        let records = fixture.scannerRecords
        try fixture.ingest(records)
        #expect(try fixture.run(.push).count("acknowledged") == records.count)
        #expect(try fixture.run(.pull).state == .succeeded)
        // One token for the connection test's client and one for the integration's, each reused for every call.
        let grants = fixture.requests.filter { $0.path == "/oauth_token.do" }
        #expect(grants.count <= 2 && grants.allSatisfy { $0.status == 200 })
        #expect(fixture.requests.filter { $0.status == 401 }.isEmpty)
    }

    @Test func serviceNowCIsCreatedByAPushComeBackOnTheNextPull() throws {
        let (fixture, records) = try ConnectorFixture.ingested(.serviceNow)
        let before = try fixture.run(.pull).count("pulled")
        let created = ConnectorFixture.hosts(records).subtracting(fixture.targetRecords().keys)
        #expect(!created.isEmpty)
        #expect(try fixture.run(.push).state == .succeeded)
        let after = try fixture.run(.pull)
        #expect(after.count("pulled") == before + created.count)
        let pulledNames = Set(
            try AssetContextRepository(store: fixture.engine.store).contexts(integration: fixture.integrationID)
                .compactMap { $0.raw["fields"]?["name"]?.stringValue })
        #expect(created.isSubset(of: pulledNames))
    }

    /// What the connector's default pull returns, counted straight from the simulator's records.
    private func expectedPullCount(_ fixture: ConnectorFixture) -> Int {
        guard fixture.connector == .serviceNow else {
            return fixture.sandbox.records(in: fixture.connector.simulator).count
        }
        // pull_table cmdb_ci_server (with its subclasses) and pull_query operational_status=1, less the CIs an ACL
        // keeps from the integration user (whose rows leave pages short).
        let state = fixture.sandbox.state(of: "servicenow")
        let restricted = Set(state["restricted"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(!restricted.isEmpty)
        return (state["records"]?.arrayValue ?? []).filter {
            ["cmdb_ci_server", "cmdb_ci_linux_server", "cmdb_ci_win_server"].contains(
                $0["sys_class_name"]?.stringValue ?? "") && $0["operational_status"]?.stringValue == "1"
                && !restricted.contains($0["sys_id"]?.stringValue ?? "")
        }.count
    }
}

/// The record with its risk score replaced.
func withRisk(_ record: JSON, _ risk: Int) -> JSON {
    var document = record.objectValue!
    var crypto = document["crypto_implementation"]!.objectValue!
    crypto["risk_score"] = JSON(risk)
    document["crypto_implementation"] = .object(crypto)
    return .object(document)
}
