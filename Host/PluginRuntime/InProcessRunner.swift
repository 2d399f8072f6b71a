import Foundation
import PluginABI

/// Runs plugins inside the host process (`none` isolation): the same `PluginInstance` the worker uses, without the
/// process boundary. Instances are cached per key and configuration; each is called from one thread at a time, and
/// all calls into a plugin that does not declare concurrent instances are serialised.
final class InProcessRunner: @unchecked Sendable {
    private struct SlotKey: Hashable {
        let sha256: String
        let instance: String
    }

    /// One instance and the lock that keeps it to one caller at a time. `pluginLock` is shared by every slot of a
    /// plugin that does not allow concurrent instances.
    private final class Slot {
        let lock = NSLock()
        let pluginLock: NSLock?
        var instance: PluginInstance?
        var configuration: [UInt8] = []

        init(pluginLock: NSLock?) { self.pluginLock = pluginLock }
    }

    private let lock = NSLock()
    private var slots: [SlotKey: Slot] = [:]
    private var pluginLocks: [String: NSLock] = [:]

    func call(
        _ build: PluginBuild, instance spec: InstanceSpec, operation: PluginOperation, input: [UInt8],
        services: HostServiceHandler
    ) throws(PluginCallError) -> CallOutcome {
        let slot = lock.withLock { () -> Slot in
            let key = SlotKey(sha256: build.sha256, instance: spec.key)
            if let existing = slots[key] { return existing }
            var pluginLock: NSLock?
            if !build.manifest.flags.contains(.concurrentInstances) {
                pluginLock = pluginLocks[build.sha256] ?? NSLock()
                pluginLocks[build.sha256] = pluginLock
            }
            let created = Slot(pluginLock: pluginLock)
            slots[key] = created
            return created
        }
        slot.pluginLock?.lock()
        defer { slot.pluginLock?.unlock() }
        slot.lock.lock()
        defer { slot.lock.unlock() }
        if slot.instance == nil || slot.configuration != spec.configuration {
            slot.instance = nil
            let library: PluginLibrary
            do {
                library = try PluginLibrary.open(build.cachedPath)
            } catch {
                throw PluginCallError(.unavailable, "\(build.label) could not be loaded: \(error)")
            }
            do {
                slot.instance = try PluginInstance(
                    manifest: library.manifestPointer, configuration: spec.configuration, handler: services)
                slot.configuration = spec.configuration
            } catch {
                return CallOutcome(status: error.status, output: error.document.serializedBytes())
            }
        }
        return slot.instance!.call(operation, input: input)
    }
}
