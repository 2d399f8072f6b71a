import Foundation
import PluginABI
import PluginRuntime

/// The plugin builds a host can run, found in its plugins directory. Several versions of one plugin id may be
/// loaded at once: an integration runs its pinned version, or the newest.
public final class PluginCatalog: @unchecked Sendable {
    public let directory: String
    private let discovery: PluginDiscovery
    private let lock = NSLock()
    private var loaded: [PluginBuild] = []
    private var found: [DiscoveredPlugin] = []
    private var scanned = false
    private var scannedAt = ContinuousClock.now
    /// Told of each build a scan after the first loads (true: a file dropped in, an upgrade beside the old build)
    /// or unloads (false: its file is gone).
    public var onChange: (@Sendable (PluginBuild, _ loaded: Bool) -> Void)?
    /// How soon after a scan an id that is not loaded makes the directory be scanned again.
    public var rescanOnMissAfter: Duration = .seconds(2)

    public struct NotFound: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(directory: String, discovery: PluginDiscovery) {
        self.directory = directory
        self.discovery = discovery
    }

    /// Scans the directory again: new files load as new builds beside the others, and a build whose file is gone
    /// (deleted, or replaced by another build) is unloaded, so a bad build is rolled back by removing its file.
    @discardableResult
    public func refresh() throws -> [DiscoveredPlugin] {
        let discovered = try discovery.discover(in: directory)
        let (added, removed, tell) = lock.withLock { () -> ([PluginBuild], [PluginBuild], Bool) in
            found = discovered
            let present = discovered.compactMap(PluginBuild.init)
            let added = present.filter { !loaded.contains($0) }
            let removed = loaded.filter { !present.contains($0) }
            loaded = loaded.filter { present.contains($0) } + added
            defer { (scanned, scannedAt) = (true, .now) }
            return (added, removed, scanned)
        }
        if tell {
            added.forEach { onChange?($0, true) }
            removed.forEach { onChange?($0, false) }
        }
        return discovered
    }

    public var builds: [PluginBuild] { lock.withLock { loaded } }
    public var lastScan: [DiscoveredPlugin] { lock.withLock { found } }

    /// The build for `id`: exactly `pin` when given, else the newest version loaded. One not loaded has the
    /// directory scanned again first (at most every `rescanOnMissAfter`), so a plugin dropped in is used at once,
    /// not at the host's next periodic scan.
    public func resolve(_ id: String, pin: String? = nil) throws(NotFound) -> PluginBuild {
        do {
            return try loadedBuild(id, pin: pin)
        } catch {
            guard lock.withLock({ ContinuousClock.now - scannedAt >= rescanOnMissAfter }) else { throw error }
            _ = try? refresh()
            return try loadedBuild(id, pin: pin)
        }
    }

    private func loadedBuild(_ id: String, pin: String?) throws(NotFound) -> PluginBuild {
        let candidates = builds.filter { $0.manifest.id == id }
        if let pin {
            guard let exact = candidates.last(where: { $0.manifest.version == pin }) else {
                let versions = candidates.map(\.manifest.version).joined(separator: ", ")
                throw NotFound(
                    description: "plugin \(id)@\(pin) is not loaded\(versions.isEmpty ? "" : " (loaded: \(versions))")")
            }
            return exact
        }
        // Of builds of one version (a rebuild under the same number), the one loaded last, as for a pin.
        guard let newest = candidates.reversed().max(by: { Self.version($0) < Self.version($1) }) else {
            throw NotFound(description: "plugin \(id) is not loaded from \(directory)")
        }
        return newest
    }

    private static func version(_ build: PluginBuild) -> SemanticVersion {
        SemanticVersion(build.manifest.version) ?? SemanticVersion("0.0.0")!
    }
}
