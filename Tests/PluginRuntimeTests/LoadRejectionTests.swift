import Foundation
import PluginABI
import PluginRuntime
import TestSupport
import Testing

/// Every rejection reason, each with a real file: the loader must name the file, the reason code and both sides of
/// any mismatch, and must survive plugins that crash or hang while loading.
@Suite struct LoadRejectionTests {
    let data = TemporaryDirectory("data")
    let discovery: PluginDiscovery

    init() {
        PackagePaths.useBuiltHost()
        discovery = PluginDiscovery(
            cache: PluginCache(directory: data.url.appendingPathComponent("cache")),
            scanner: ManifestScanner(timeout: .seconds(3)))
    }

    private func rejection(_ file: String) -> (code: String?, message: String?) {
        let found = discovery.inspect(file: file)
        #expect(found.manifest == nil, "\(file) should have been rejected")
        return (found.rejection?.code, found.message)
    }

    @Test func junkFileNamedSoIsNotASharedObject() {
        let folder = TemporaryDirectory()
        let junk = folder.file("x.so", "this is not an ELF file at all\n")
        let (code, message) = rejection(junk)
        #expect(code == "not_a_shared_object")
        #expect(message == "not_a_shared_object: \(junk) is not a shared object (no ELF header)")
    }

    @Test func emptyFileAndExecutableAreNotSharedObjects() throws {
        let folder = TemporaryDirectory()
        #expect(rejection(folder.file("empty.so", "")).code == "not_a_shared_object")
        let executable = try CFixtures.compileSource("int main(void) { return 0; }\n", arguments: [], output: "program")
        let renamed = folder.copy(executable, to: "program.so")
        let (code, message) = rejection(renamed)
        #expect(code == "not_a_shared_object")
        #expect(message?.contains("executable") == true)
    }

    @Test func sharedObjectWithoutEntryPoint() throws {
        let plugin = try CFixtures.build("no-entry", defines: ["FIXTURE_NO_ENTRY"])
        let (code, message) = rejection(plugin)
        #expect(code == "missing_entry_point")
        #expect(message?.contains("cc_plugin_entry") == true)
    }

    /// Only the bits this host does not know are named, not the whole mask.
    @Test func unknownCapabilityBitsAreNamedAlone() throws {
        let plugin = try CFixtures.build("caps-bit-9", defines: ["FIXTURE_EXTRA_CAPABILITIES=(1u<<9)"])
        let (code, message) = rejection(plugin)
        #expect(code == "invalid_manifest")
        #expect(message?.contains("field `capabilities` has unknown bits 0x00000200") == true, "\(message ?? "")")
    }

    @Test func badMagicNamesBothValues() throws {
        let plugin = try CFixtures.build("bad-magic", defines: ["FIXTURE_MAGIC=0x12345678u"])
        let (code, message) = rejection(plugin)
        #expect(code == "bad_magic")
        #expect(message?.contains("found 0x12345678, expected 0x43435049") == true)
    }

    @Test func otherMajorVersionNamesBothSides() throws {
        let plugin = try CFixtures.build("abi-2", defines: ["FIXTURE_ABI_MAJOR=2"])
        let (code, message) = rejection(plugin)
        #expect(code == "abi_major_mismatch")
        #expect(message == "abi_major_mismatch: \(plugin) was built for PluginAPI 2.0; this host speaks 1.0")
    }

    @Test func newerMinorVersionIsRefused() throws {
        let plugin = try CFixtures.build("abi-1-3", defines: ["FIXTURE_ABI_MINOR=3"])
        let (code, message) = rejection(plugin)
        #expect(code == "abi_minor_too_new")
        #expect(message?.contains("was built for PluginAPI 1.3; this host speaks 1.0") == true)
    }

    @Test func truncatedManifestIsTooSmall() throws {
        let plugin = try CFixtures.build("too-small", defines: ["FIXTURE_STRUCT_SIZE=24"])
        let (code, message) = rejection(plugin)
        #expect(code == "manifest_too_small")
        #expect(message?.contains("declares a manifest of 24 bytes; PluginAPI 1.0 needs at least 136") == true)
    }

    @Test(arguments: [
        ("bad-id", ["FIXTURE_ID=\"Bad_ID\""], "`id`"),
        ("bad-version", ["FIXTURE_VERSION=\"one\""], "`version`"),
        ("null-create", ["FIXTURE_NULL_CREATE"], "`create`"),
    ])
    func invalidManifestNamesTheField(variant: String, defines: [String], field: String) throws {
        let plugin = try CFixtures.build(variant, defines: defines)
        let (code, message) = rejection(plugin)
        #expect(code == "invalid_manifest")
        #expect(message?.contains("field \(field)") == true, "\(message ?? "")")
    }

    @Test func crashInEntryPointIsContainedAndNamed() throws {
        let plugin = try CFixtures.build("entry-crash", defines: ["FIXTURE_ENTRY_CRASH"])
        let (code, message) = rejection(plugin)
        #expect(code == "load_crashed")
        #expect(message?.contains("SIGSEGV (signal 11)") == true, "\(message ?? "")")
    }

    @Test func hangInEntryPointTimesOut() throws {
        let plugin = try CFixtures.build("entry-hang", defines: ["FIXTURE_ENTRY_HANG"])
        let quick = PluginDiscovery(
            cache: discovery.cache, scanner: ManifestScanner(timeout: .milliseconds(700)))
        let started = ContinuousClock.now
        let found = quick.inspect(file: plugin)
        #expect(found.rejection?.code == "load_timeout")
        #expect(found.message?.contains("within 700 ms") == true)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func missingDependencyIsALoadFailure() throws {
        let dependency = try CFixtures.compileSource(
            "int fixture_dependency(void) { return 1; }\n", arguments: ["-shared", "-fPIC"],
            output: "libfixturedep.so")
        let plugin = try CFixtures.build(
            "needs-dependency", linkFlags: ["-Wl,--no-as-needed", "-L", CFixtures.workDirectory, "-lfixturedep"])
        try FileManager.default.removeItem(atPath: dependency)
        let (code, message) = rejection(plugin)
        #expect(code == "load_failed")
        #expect(message?.contains("libfixturedep.so") == true)
    }

    @Test func sameIdAndVersionTwiceIsADuplicate() throws {
        let folder = TemporaryDirectory("plugins")
        let plugin = try CFixtures.build("good")
        folder.copy(plugin, to: "a/first.so")
        folder.copy(plugin, to: "b/second.so")
        let found = try discovery.discover(in: folder.path)
        #expect(found.map(\.isLoaded) == [true, false])
        #expect(found[1].rejection?.code == "duplicate_plugin")
        #expect(found[1].message?.contains("c-fixture@1.0.0, which \(folder.path)/a/first.so already provides") == true)
    }
}
