import Foundation
import HostServices
import PluginRuntime
import Store
import SyncEngine

/// The demo's directory: a fresh store, the plugin cache, the inventory files and the sandbox state. A temporary
/// directory is removed when the demo ends, unless it keeps running.
final class DemoWorkspace {
    let root: String
    private let temporary: Bool

    init(path: String?, keep: Bool) throws {
        if let path {
            root = URL(fileURLWithPath: path).standardizedFileURL.path
            temporary = false
            if FileManager.default.fileExists(atPath: root + "/cryptoconnect.sqlite") {
                throw CLIError("--data-dir \(path) already holds a store; the demo starts from an empty directory")
            }
        } else {
            root =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "cryptoconnect-demo-\(UUID().uuidString.prefix(8))"
                ).path
            temporary = !keep
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { if temporary { try? FileManager.default.removeItem(atPath: root) } }

    func path(_ relative: String) -> String { root + "/" + relative }

    func write(_ text: String, to file: String) throws {
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
    }

    /// An engine over a fresh store, with a master key generated for this run (kept in memory only).
    func engine(plugins: String) throws -> SyncEngine {
        let engine: SyncEngine
        MasterKey.keepFromSameUser()  // the key and the sealed secrets it opens are in this process's memory
        do {
            engine = try SyncEngine.local(
                directory: root, plugins: plugins, key: try MasterKey(base64: MasterKey.generate(), source: "demo"),
                log: StandardErrorLog(minimumLevel: .warning))
        } catch { throw CLIError("\(error)") }
        let rejected = engine.catalog.lastScan.compactMap(\.message)
        guard rejected.isEmpty else {
            throw CLIError("plugins in \(plugins) were rejected:\n" + rejected.joined(separator: "\n"))
        }
        return engine
    }
}
