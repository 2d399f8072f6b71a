import CCPluginAPI
import Foundation
import PluginABI

#if canImport(Glibc)
    import Glibc
#endif

/// A plugin image mapped into this process: the one place that calls `dlopen` and `dlsym`. Images are never
/// closed, because `dlclose` of a Swift image leaves the runtime with dangling metadata; that is why untrusted or
/// replaceable code runs in worker processes, which exit instead.
public final class PluginLibrary: @unchecked Sendable {
    public let path: String
    public let manifest: PluginManifest
    /// The manifest in plugin memory, valid for the life of the process.
    public let manifestPointer: UnsafeRawPointer

    private static let loaded = LockedValue<[String: PluginLibrary]>([:])

    /// Maps `path` (a cache copy) and validates its manifest. Opening the same path twice returns the same image.
    public static func open(_ path: String) throws(PluginRejection) -> PluginLibrary {
        if let existing = loaded.value[path] { return existing }
        dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            if reason.contains("invalid ELF header") || reason.contains("file too short")
                || reason.contains("cannot dynamically load")
            {
                throw PluginRejection(code: "not_a_shared_object", detail: "cannot be loaded: \(reason)")
            }
            throw PluginRejection(code: "load_failed", detail: "cannot be loaded: \(reason)")
        }
        guard let symbol = dlsym(handle, CC_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginRejection(
                code: "missing_entry_point",
                detail: "does not export `\(CC_PLUGIN_ENTRY_SYMBOL)`; every plugin must (see cryptoconnect_plugin.h)")
        }
        let entry = unsafeBitCast(symbol, to: cc_plugin_entry_fn.self)
        let pointer = UnsafeRawPointer(entry())
        let manifest = try ManifestReader.read(pointer)
        let library = PluginLibrary(path: path, manifest: manifest, manifestPointer: pointer!)
        loaded.mutate { $0[path] = library }
        return library
    }

    private init(path: String, manifest: PluginManifest, manifestPointer: UnsafeRawPointer) {
        self.path = path
        self.manifest = manifest
        self.manifestPointer = manifestPointer
    }
}
