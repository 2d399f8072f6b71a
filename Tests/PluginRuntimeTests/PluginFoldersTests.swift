import Foundation
import JSONCore
import TestSupport
import Testing

/// Every first-party plugin folder carries what a user needs to adopt it (as Telegraf checks for its plugins).
@Suite struct PluginFoldersTests {
    static let folders: [String] = {
        let plugins = PackagePaths.root.appendingPathComponent("Plugins")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: plugins.path)) ?? []
        return names.sorted().map { plugins.appendingPathComponent($0).path }
    }()

    @Test func thereArePluginFolders() {
        #expect(!Self.folders.isEmpty)
    }

    @Test(arguments: folders)
    func folderHasReadmeAndSampleConfiguration(folder: String) throws {
        let readme = try String(contentsOfFile: folder + "/README.md", encoding: .utf8)
        #expect(readme.contains("## Configuration"), "\(folder)/README.md should document the configuration")
        #expect(readme.contains("## Permissions"), "\(folder)/README.md should say which permissions it needs")
        let sample = try String(contentsOfFile: folder + "/sample-config.json", encoding: .utf8)
        #expect(try JSON.parse(sample).objectValue != nil, "\(folder)/sample-config.json should be a JSON object")
    }
}

/// The marketplace catalog describes what the first-party products really are.
@Suite struct MarketplaceCatalogTests {
    @Test func everyEntryMatchesTheManifestOfItsBuiltProduct() throws {
        let index = try JSON.parse(
            Array(try Data(contentsOf: PackagePaths.root.appendingPathComponent("marketplace/index.json"))))
        let entries = try #require(index["plugins"]?.arrayValue)
        let sources = Set(entries.compactMap { $0["source"]?.stringValue })
        let folders = Set(PluginFoldersTests.folders.map { "Plugins/" + ($0 as NSString).lastPathComponent })
        #expect(sources == folders, "every folder under Plugins/ has exactly one catalog entry")
        for entry in entries {
            let product = try #require(entry["product"]?.stringValue)
            let inspected = try Command.cryptoconnect(["plugins", "inspect", PackagePaths.plugin(product), "--json"])
            #expect(inspected.status == 0, "\(inspected.stderr)")
            let manifest = try JSON.parse(inspected.stdout)
            #expect(manifest["id"] == entry["id"], "\(product)")
            #expect(manifest["abi"] == entry["abi"], "\(product)")
            #expect(manifest["capabilities"] == entry["capabilities"], "\(product)")
        }
    }
}
