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
