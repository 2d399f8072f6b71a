import Foundation
import JSONCore
import SyncEngine
import TestSupport
import Testing

/// `integrations show` masks secrets; a configuration edited from its output and given back keeps them.
@Suite struct MaskedSecretTests {
    func configuration(_ fixture: EngineFixture, auth: JSON) -> JSON {
        ["base_url": .string(fixture.sink.baseURL), "path": "/records", "auth": auth, "rate_limit": ["burst": 50]]
    }

    @Test func aMaskedSecretKeepsTheStoredOne() throws {
        let fixture = try EngineFixture()
        fixture.sink.requiredToken = "tok-1"
        try fixture.integration(token: "tok-1")
        try fixture.ingest([asset("web01")])
        var changes = IntegrationChanges()
        changes.configuration = configuration(fixture, auth: ["type": "bearer", "token": "********"])
        let updated = try fixture.engine.updateIntegration("acme-sink", changes)
        #expect(updated.connectionTest != nil)  // passed, with the token kept
        #expect(try fixture.push("acme-sink").stats?["acknowledged"] == 1)
    }

    /// A kept secret goes only where it went: a configuration that points elsewhere must give the secret itself.
    @Test func aMaskedSecretIsNotSentToANewHost() throws {
        let fixture = try EngineFixture()
        try fixture.integration(token: "tok-1")
        var changes = IntegrationChanges()
        var moved = configuration(fixture, auth: ["type": "bearer", "token": "********"]).objectValue!
        moved["base_url"] = "http://127.0.0.1:9"
        changes.configuration = .object(moved)
        changes.testConnection = false
        #expect {
            try fixture.engine.updateIntegration("acme-sink", changes)
        } throws: {
            "\($0)".contains(
                "auth.token is \"********\", but base_url changed: give the secret itself to send it there")
        }
    }

    /// A masked secret inside a section that also holds settings (`tls.client_key_pem`) is no change of that
    /// section: the round trip from `integrations show` gets as far as looking the secret up.
    @Test func aMaskInsideTheTLSSectionIsNoChangeOfIt() throws {
        let fixture = try EngineFixture()
        try fixture.integration(token: "tok-1")
        var changes = IntegrationChanges()
        var edited = configuration(fixture, auth: ["type": "bearer", "token": "********"]).objectValue!
        edited["tls"] = ["client_key_pem": "********"]
        changes.configuration = .object(edited)
        changes.testConnection = false
        #expect {
            try fixture.engine.updateIntegration("acme-sink", changes)
        } throws: {
            "\($0)".contains(
                "tls.client_key_pem is \"********\", the mask `integrations show` prints for a stored secret")
        }
    }

    @Test func theMaskWhereNoSecretIsStoredIsRefused() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        var changes = IntegrationChanges()
        changes.configuration = configuration(
            fixture, auth: ["type": "basic", "username": "crypto", "password": "********"])
        changes.testConnection = false
        #expect {
            try fixture.engine.updateIntegration("acme-sink", changes)
        } throws: {
            "\($0)".contains(
                "auth.password is \"********\", the mask `integrations show` prints for a stored secret, and this "
                    + "integration has none there; give the secret itself")
        }
    }
}
