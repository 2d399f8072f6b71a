import Foundation
import PluginABI

/// Runs plugins inside the host process (`none` isolation): the same `PluginInstance` the worker uses, without the
/// process boundary. Instances are cached per key and configuration; each is called from one thread at a time, and
/// all calls into a plugin that does not declare concurrent instances are serialised.
final class InProcessRunner: @unchecked Sendable {
    private final class Slot {
        let lock = NSLock()
        var instance: PluginInstance?
        var configuration: [UInt8] = []
    }

    private let lock = NSLock()
    private var slots: [String: Slot] = [:]
    private var pluginLocks: [String: NSLock] = [:]

    func call(
        _ build: PluginBuild, instance spec: InstanceSpec, operation: PluginOperation, input: [UInt8],
        services: HostServiceHandler
    ) throws(PluginCallError) -> CallOutcome {
        let library: PluginLibrary
        do {
            library = try PluginLibrary.open(build.cachedPath)
        } catch {
            throw PluginCallError(.unavailable, "\(build.label) could not be loaded: \(error)")
        }
        let (slot, pluginLock) = lock.withLock { () -> (Slot, NSLock?) in
            let key = build.sha256 + "/" + spec.key
            let slot = slots[key] ?? Slot()
            slots[key] = slot
            guard !build.manifest.flags.contains(.concurrentInstances) else { return (slot, nil) }
            let pluginLock = pluginLocks[build.sha256] ?? NSLock()
            pluginLocks[build.sha256] = pluginLock
            return (slot, pluginLock)
        }
        pluginLock?.lock()
        defer { pluginLock?.unlock() }
        slot.lock.lock()
        defer { slot.lock.unlock() }
        if slot.instance == nil || slot.configuration != spec.configuration {
            slot.instance = nil
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
