import Foundation
import JSONCore
import TestSupport
import Testing

/// `cryptoconnect plugins list|inspect` as a user runs them.
@Suite struct PluginsCommandTests {
    let data = TemporaryDirectory("data")

    @Test func listOverTheBuildFolderShowsEveryFirstPartyPluginOK() throws {
        let result = try Command.cryptoconnect(
            ["plugins", "list", "--plugins-dir", PackagePaths.binDirectory, "--data-dir", data.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let plugins = try #require(try JSON.parse(result.stdout).arrayValue)
        let firstParty = plugins.filter { $0["path"]?.stringValue?.hasSuffix("/libfile-export.so") == true }
        #expect(firstParty.count == 1)
        #expect(firstParty.allSatisfy { $0["status"] == "ok" && $0["abi"] == "1.0" })
        #expect(firstParty.first?["sha256"]?.stringValue?.count == 64)
    }

    @Test func listExitsZeroWithRejectionsAndExplainsThem() throws {
        let folder = TemporaryDirectory("plugins")
        folder.file("x.so", "junk")
        folder.copy(try CFixtures.build("good"), to: "good.so")
        let result = try Command.cryptoconnect(
            ["plugins", "list", "--data-dir", data.path, "--json"],
            environment: ["CRYPTOCONNECT_PLUGINS_DIR": folder.path])
        #expect(result.status == 0)
        let plugins = try #require(try JSON.parse(result.stdout).arrayValue)
        #expect(plugins.map { $0["status"] } == ["ok", "rejected"])
        #expect(plugins[1]["error"]?["code"] == "not_a_shared_object")
        #expect(plugins[1]["error"]?["message"]?.stringValue?.contains("\(folder.path)/x.so") == true)
        #expect(plugins[0]["capabilities"] == ["push", "pull", "schema"])

        let table = try Command.cryptoconnect([
            "plugins", "list", "--plugins-dir", folder.path, "--data-dir", data.path,
        ])
        #expect(table.stdout.contains("not_a_shared_object: \(folder.path)/x.so"))
    }

    @Test func inspectPrintsTheWholeManifestOrTheReason() throws {
        let good = try Command.cryptoconnect(
            ["plugins", "inspect", PackagePaths.plugin("file-export"), "--data-dir", data.path, "--json"])
        #expect(good.status == 0)
        let manifest = try JSON.parse(good.stdout)
        #expect(manifest["id"] == "file-export")
        #expect(manifest["config_schema"]?["properties"]?["directory"] != nil)
        #expect(manifest["default_mapping"]?.arrayValue?.isEmpty == false)

        let plugin = try CFixtures.build("abi-2", defines: ["FIXTURE_ABI_MAJOR=2"])
        let bad = try Command.cryptoconnect(["plugins", "inspect", plugin, "--data-dir", data.path])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("abi_major_mismatch: \(plugin) was built for PluginAPI 2.0; this host speaks 1.0"))
    }

    /// A default mapping that names no field of the standard schema is found by `plugins inspect`, as `integrations
    /// add` would find it, with the field it means; the manifest is still shown.
    @Test func inspectChecksTheDefaultMapping() throws {
        let plugin = try CFixtures.build(
            "bad-mapping",
            defines: [#"FIXTURE_DEFAULT_MAPPING="[{\"source_field\":\"risk_score\",\"target_field\":\"risk\"}]""#])
        let result = try Command.cryptoconnect(["plugins", "inspect", plugin, "--data-dir", data.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("Default mapping:"))
        #expect(
            result.stderr.contains(
                #"default mapping: mapping[0].source_field: "risk_score" is not a field of the standard crypto schema (did you mean "crypto_implementation.risk_score"?)"#
            ), "\(result.stderr)")
    }

    @Test func missingPluginsDirectoryFailsClearly() throws {
        let result = try Command.cryptoconnect(
            ["plugins", "list", "--plugins-dir", data.path + "/missing", "--data-dir", data.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("plugins directory \(data.path)/missing does not exist"))
    }
}
