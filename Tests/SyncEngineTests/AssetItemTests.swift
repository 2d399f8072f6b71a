import Foundation
import Inventory
import JSONCore
import Testing

@testable import SyncEngine

/// How an asset's records become one item, and how pulled fields are taken back into a record.
@Suite struct AssetItemTests {
    let mapping = try! FieldMapping(
        json: [
            ["source_field": "asset.hostname", "target_field": "fqdn"],
            ["source_field": "asset.ip_address", "target_field": "ip"],
            ["source_field": "asset.serial_number", "target_field": "serial"],
            ["source_field": "crypto_implementation.protocol", "target_field": "proto"],
        ])

    /// The riskiest record makes the item, named by the host's fullest name; the address and serial number only the
    /// riskiest record carries stay in the item, and what it lacks comes from the host's other records.
    @Test func theItemKeepsTheHostsIdentityFromEveryRecord() {
        let fqdn: JSON = [
            "asset": ["hostname": "web01.example.com", "environment": "production"],
            "crypto_implementation": ["protocol": "SSH", "risk_score": 2],
        ]
        let short: JSON = [
            "asset": ["hostname": "web01", "ip_address": "10.0.0.5", "serial_number": "SN1"],
            "crypto_implementation": ["protocol": "TLS", "risk_score": 9],
        ]
        let item = AssetItem(of: [fqdn, short], mapping: mapping, now: Date())
        #expect(item.chosen == 1)
        #expect(item.fields == ["fqdn": "web01.example.com", "ip": "10.0.0.5", "serial": "SN1", "proto": "TLS"])
        #expect(item.members == [1, 0])
    }

    /// Records as risky as each other: the same one stands for the asset whatever order they come in (the push
    /// reads them in id order, the preview in the file's; they used to show different items).
    @Test func aTieIsSettledTheSameWayInAnyOrder() {
        let ssh: JSON = [
            "asset": ["hostname": "web01"], "crypto_implementation": ["protocol": "SSH", "port": 22, "risk_score": 8],
        ]
        let tls: JSON = [
            "asset": ["hostname": "web01"],
            "crypto_implementation": ["protocol": "TLS", "port": 8443, "risk_score": 8],
        ]
        #expect(AssetItem(of: [ssh, tls], mapping: mapping, now: Date()).fields["proto"] == "SSH")
        #expect(AssetItem(of: [tls, ssh], mapping: mapping, now: Date()).fields["proto"] == "SSH")
        // Two names as full as each other (a scanner's spelling): the same one names the item either way.
        var upper = tls
        upper = upper.setting(path: "asset.hostname", to: "WEB01")
        #expect(AssetItem(of: [ssh, upper], mapping: mapping, now: Date()).fields["fqdn"] == "WEB01")
        #expect(AssetItem(of: [upper, ssh], mapping: mapping, now: Date()).fields["fqdn"] == "WEB01")
    }

    /// Extensions (an owner the CMDB keeps) are not cleared when the riskiest record lacks them; crypto fields are.
    @Test func onlyCryptoFieldsAreCleared() {
        let mapping = try! FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "fqdn"],
            ["source_field": "extensions.owner", "target_field": "owner"],
            ["source_field": "certificate.expiration_date", "target_field": "expires"],
        ])
        let item = AssetItem(
            of: [["asset": ["hostname": "web01"], "crypto_implementation": ["protocol": "SSH"]]], mapping: mapping,
            now: Date())
        #expect(item.fields == ["fqdn": "web01", "expires": ""])
    }

    /// A pulled framework's status changes that framework alone; the record's other frameworks stay.
    @Test func aPulledFieldInsideAnObjectLeavesItsNeighbours() throws {
        let policy = SourceOfTruth(["crypto_implementation": "itam", "extensions": "itam"])
        let document: JSON = [
            "asset": ["hostname": "web01"],
            "crypto_implementation": [
                "protocol": "TLS",
                "compliance_status": ["pci": "compliant", "hipaa": "compliant", "PCI_DSS_4.0": "compliant"],
            ],
            "extensions": ["cmdb": ["owner": "ops", "site": "fra"]],
        ]
        let pulled: JSON = [
            "crypto_implementation": ["compliance_status": ["pci": "non_compliant"]],
            "extensions": ["cmdb": ["owner": "sec"]],
        ]
        let merged = try #require(policy.merge(pulled, into: document))
        #expect(
            merged["crypto_implementation"]?["compliance_status"] == [
                "pci": "non_compliant", "hipaa": "compliant", "PCI_DSS_4.0": "compliant",
            ])
        #expect(merged["extensions"] == ["cmdb": ["owner": "sec", "site": "fra"]])
        #expect(merged["crypto_implementation"]?["protocol"] == "TLS")
        // What makes a record's natural key is never taken over: another protocol or port would make another record.
        let rekeyed: JSON = ["crypto_implementation": ["protocol": "SSH", "port": 22]]
        #expect(policy.merge(rekeyed, into: document) == nil)
        // The same values again are no change.
        #expect(policy.merge(pulled, into: merged) == nil)
        // A platform-owned field is not taken, however deep.
        #expect(SourceOfTruth([:]).merge(pulled, into: document) == nil)
    }
}
