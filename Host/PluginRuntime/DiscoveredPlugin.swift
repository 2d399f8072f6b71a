import JSONCore
import PluginABI

/// One `.so` file found in a plugins directory: loaded with a validated manifest, or rejected with a reason.
public struct DiscoveredPlugin: Sendable {
    /// The file as found, relative to where the user pointed the host.
    public let path: String
    public let sha256: String?
    /// The content-addressed copy the host loads.
    public let cachedPath: String?
    public let manifest: PluginManifest?
    public let rejection: PluginRejection?

    public static func loaded(path: String, sha256: String, cachedPath: String, manifest: PluginManifest) -> Self {
        DiscoveredPlugin(path: path, sha256: sha256, cachedPath: cachedPath, manifest: manifest, rejection: nil)
    }

    public static func rejected(path: String, sha256: String?, _ rejection: PluginRejection) -> Self {
        DiscoveredPlugin(path: path, sha256: sha256, cachedPath: nil, manifest: nil, rejection: rejection)
    }

    public var isLoaded: Bool { manifest != nil }

    /// `abi_major_mismatch: plugins/acme.so was built for PluginAPI 2.0; this host speaks 1.0`
    public var message: String? { rejection.map { "\($0.code): \(path) \($0.detail)" } }

    public var json: JSON {
        var object: [String: JSON] = [
            "path": .string(path), "status": .string(isLoaded ? "ok" : "rejected"), "sha256": JSON(sha256),
            "id": JSON(manifest?.id), "version": JSON(manifest?.version), "abi": JSON(manifest?.abi),
            "capabilities": manifest.map { JSON($0.capabilities.names) } ?? .null,
        ]
        if let rejection, let message {
            object["error"] = ["code": .string(rejection.code), "message": .string(message)]
        }
        return .object(object)
    }
}
