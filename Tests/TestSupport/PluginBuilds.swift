import Foundation
import PluginRuntime

/// Turns plugin files into runnable builds through the real discovery path (cache copy and scanner process).
public enum PluginBuilds {
    private static let cache = TemporaryDirectory("plugin-cache")

    public static func load(_ file: String) throws -> PluginBuild {
        PackagePaths.useBuiltHost()
        let discovery = PluginDiscovery(cache: PluginCache(directory: cache.url))
        let found = discovery.inspect(file: file)
        guard let build = PluginBuild(found) else {
            throw LoadFailure(message: found.message ?? "\(file) was rejected")
        }
        return build
    }

    /// The C fixture, compiled with `defines`, loaded.
    public static func cFixture(_ variant: String = "good", defines: [String] = []) throws -> PluginBuild {
        try load(try CFixtures.build(variant, defines: defines))
    }

    public struct LoadFailure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
