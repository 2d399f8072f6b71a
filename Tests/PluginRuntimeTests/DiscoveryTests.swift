import Foundation
import JSONCore
import PluginABI
import PluginRuntime
import TestSupport
import Testing

@Suite struct DiscoveryTests {
    let data = TemporaryDirectory("data")
    let discovery: PluginDiscovery

    init() {
        PackagePaths.useBuiltHost()
        discovery = PluginDiscovery(
            cache: PluginCache(directory: data.url.appendingPathComponent("cache")),
            scanner: ManifestScanner(timeout: .seconds(3)))
    }

    /// The acceptance scenario: broken plugins beside good ones; each broken one rejected with its own code,
    /// every good one still loaded.
    @Test func brokenPluginsNeverHideGoodOnes() throws {
        let folder = TemporaryDirectory("plugins")
        folder.file("x.so", "junk")
        folder.copy(try CFixtures.build("no-entry", defines: ["FIXTURE_NO_ENTRY"]), to: "no-entry.so")
        folder.copy(try CFixtures.build("abi-2", defines: ["FIXTURE_ABI_MAJOR=2"]), to: "vendor/acme.so")
        folder.copy(try CFixtures.build("entry-crash", defines: ["FIXTURE_ENTRY_CRASH"]), to: "crash.so")
        folder.copy(try CFixtures.build("good"), to: "nested/deeper/c-fixture.so")
        folder.copy(PackagePaths.plugin("file-export"), to: "libfile-export.so")

        let found = try discovery.discover(in: folder.path)
        let outcome = Dictionary(
            uniqueKeysWithValues: found.map {
                (String($0.path.dropFirst(folder.path.count + 1)), $0.rejection?.code ?? "ok")
            })
        #expect(
            outcome == [
                "x.so": "not_a_shared_object", "no-entry.so": "missing_entry_point",
                "vendor/acme.so": "abi_major_mismatch", "crash.so": "load_crashed",
                "nested/deeper/c-fixture.so": "ok", "libfile-export.so": "ok",
            ])
    }

    @Test func loadsTheCacheCopyNotTheDroppedFile() throws {
        let folder = TemporaryDirectory("plugins")
        let dropped = folder.copy(try CFixtures.build("good"), to: "plugin.so")
        let found = discovery.inspect(file: dropped)
        let cached = try #require(found.cachedPath)
        #expect(cached != dropped)
        #expect(cached.hasSuffix("/\(found.sha256!).so"))
        // Overwriting the dropped file afterwards leaves the copy the host maps untouched.
        try Data("overwritten".utf8).write(to: URL(fileURLWithPath: dropped))
        #expect(discovery.inspect(file: cached).manifest?.id == "c-fixture")
    }

    @Test func missingDirectoryIsAClearError() {
        #expect(throws: PluginDiscovery.DirectoryMissing.self) {
            try discovery.discover(in: data.path + "/nope")
        }
    }

    @Test func manifestIsReadCompletely() throws {
        let found = discovery.inspect(file: PackagePaths.plugin("file-export"))
        let manifest = try #require(found.manifest)
        #expect(manifest.id == "file-export")
        #expect(manifest.abi == "1.0")
        #expect(manifest.capabilities == [.push, .pull, .schema])
        #expect(manifest.configSchema["required"] == ["directory"])
        #expect(manifest.defaultMapping.arrayValue?.isEmpty == false)
        let fixture = try #require(discovery.inspect(file: try CFixtures.build("good")).manifest)
        #expect(fixture.secretFields == ["auth.password", "token"])
    }
}

extension DiscoveryTests {
    /// A rescan takes an unchanged file as it found it before (not hashed or scanned in a process again), yet a
    /// file replaced in place, or whose cached copy is gone, is inspected anew.
    @Test func aRescanSeesAFileReplacedInPlace() throws {
        let folder = TemporaryDirectory("plugins")
        folder.copy(try CFixtures.build("good"), to: "partner.so")
        let first = try #require(try discovery.discover(in: folder.path).first)
        #expect(try discovery.discover(in: folder.path).first?.sha256 == first.sha256)

        try FileManager.default.removeItem(atPath: folder.path + "/partner.so")
        folder.copy(PackagePaths.plugin("file-export"), to: "partner.so")
        let replaced = try #require(try discovery.discover(in: folder.path).first)
        #expect(replaced.sha256 != first.sha256)
        #expect(replaced.manifest?.id == "file-export")

        try FileManager.default.removeItem(atPath: try #require(replaced.cachedPath))
        let again = try #require(try discovery.discover(in: folder.path).first)
        #expect(again.isLoaded)
        #expect(FileManager.default.fileExists(atPath: try #require(again.cachedPath)))
    }
}
