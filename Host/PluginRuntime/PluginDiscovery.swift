import Dispatch
import Foundation
import PluginABI

/// Finds plugins: every `.so` under a directory (recursively), each checked, copied into the content-addressed
/// cache and scanned in a throwaway process. Problems are per file; one bad plugin never hides the others.
public struct PluginDiscovery: Sendable {
    public var cache: PluginCache
    public var scanner: ManifestScanner
    /// The plugins each file was found to be, by its stat: one unchanged since the last scan is not hashed or
    /// scanned in a new process again (a host rescans every 30 s, and when a job needs a plugin it has not loaded).
    private let seen = LockedValue([String: (stamp: FileStamp, found: DiscoveredPlugin)]())

    public init(cache: PluginCache, scanner: ManifestScanner = ManifestScanner()) {
        self.cache = cache
        self.scanner = scanner
    }

    public struct DirectoryMissing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "plugins directory \(path) does not exist or is not a directory" }
    }

    /// Every `.so` under `directory`, in path order, with duplicates (same id and version) rejected after the first.
    public func discover(in directory: String) throws(DirectoryMissing) -> [DiscoveredPlugin] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DirectoryMissing(path: directory)
        }
        let files = Self.sharedObjects(under: directory)
        let results = LockedValue([DiscoveredPlugin?](repeating: nil, count: files.count))
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let file = files[index]
            let stamp = FileStamp(of: file)
            let found: DiscoveredPlugin
            if let stamp, let earlier = seen.value[file], earlier.stamp == stamp,
                FileManager.default.fileExists(atPath: earlier.found.cachedPath ?? "")
            {
                found = earlier.found
            } else {
                found = inspect(file: file)
                // Only a loaded plugin is kept: a rejection may be passing (a full disk, no process to scan with).
                if let stamp, found.isLoaded { seen.mutate { $0[file] = (stamp, found) } }
            }
            results.mutate { $0[index] = found }
        }
        return Self.rejectDuplicates(results.value.compactMap { $0 })
    }

    /// Checks, caches and scans one file.
    public func inspect(file: String) -> DiscoveredPlugin {
        if let problem = ELFInspector.problem(at: file) {
            return .rejected(path: file, sha256: nil, PluginRejection(code: "not_a_shared_object", detail: problem))
        }
        let stored: (path: String, sha256: String)
        do {
            stored = try cache.store(file)
        } catch {
            return .rejected(
                path: file, sha256: nil,
                PluginRejection(code: "load_failed", detail: "could not be copied into the plugin cache: \(error)"))
        }
        switch scanner.scan(stored.path) {
        case .success(let manifest):
            return .loaded(path: file, sha256: stored.sha256, cachedPath: stored.path, manifest: manifest)
        case .failure(let rejection):
            return .rejected(path: file, sha256: stored.sha256, rejection)
        }
    }

    static func sharedObjects(under directory: String) -> [String] {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        // Walk the resolved directory (SwiftPM's .build/debug is a symlink) but report paths as the user gave them.
        let resolved = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
        guard let walker = FileManager.default.enumerator(atPath: resolved) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".so") else { continue }
            let path = base + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files.sorted()
    }

    static func rejectDuplicates(_ plugins: [DiscoveredPlugin]) -> [DiscoveredPlugin] {
        var firstByReference: [String: String] = [:]
        return plugins.map { plugin in
            guard let manifest = plugin.manifest else { return plugin }
            if let first = firstByReference[manifest.reference] {
                return .rejected(
                    path: plugin.path, sha256: plugin.sha256,
                    PluginRejection(
                        code: "duplicate_plugin",
                        detail: "declares \(manifest.reference), which \(first) already provides"))
            }
            firstByReference[manifest.reference] = plugin.path
            return plugin
        }
    }
}

/// A file's identity and last change, as `stat` gives them: equal stamps, the same content.
struct FileStamp: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int

    init?(of path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
    }
}
