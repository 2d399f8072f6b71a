import CSystemShims
import Dispatch
import Foundation
import PluginABI
import PluginRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// `cryptoconnect serve`: the real-time and scheduled triggers, plugin rescans, and job runners on threads of their
/// own. One host per store (a lock file says so). On stop (SIGTERM, SIGINT) it takes no new jobs; running ones
/// stop at their next batch boundary and go back to the queue, and the host exits.
public final class SyncHost: @unchecked Sendable {
    public let engine: SyncEngine
    public var runners = 4
    public var triggerInterval: Duration = .milliseconds(200)
    public var rescanInterval: Duration = .seconds(30)
    /// How long a plugin worker may stay idle before it is stopped (checked at each rescan): the workers of a build
    /// an upgrade replaced go with it.
    public var workerIdleLimit: Duration = .seconds(300)
    /// How long a stop waits for running jobs to hand back at their next batch before it ends the plugin calls
    /// still in progress (one that hangs would hold the stop until its deadline, past a service manager's patience).
    public var stopGrace: Duration = .seconds(20)
    private let owner = "host-\(ProcessInfo.processInfo.hostName)-\(getpid())"
    private let stopping = LockedFlag()
    private var watchesSignals = false
    private let wake = NSCondition()

    public init(engine: SyncEngine) { self.engine = engine }

    public struct AlreadyRunning: Error, CustomStringConvertible {
        public let description: String
    }

    /// Takes the store's host lock; throws when another host holds it.
    public static func lock(store path: String) throws -> Int32 {
        let descriptor = open(path + ".host.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AlreadyRunning(description: "cannot create \(path).host.lock") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw AlreadyRunning(description: "another `cryptoconnect serve` is using \(path)")
        }
        return descriptor
    }

    /// Runs until `stop()`. Returns once every runner has finished or handed back its job.
    public func run() throws {
        // Only leases whose process is gone: a `sync run --wait` may be running a job beside this host.
        let recovered = try engine.queue.recoverLeases(now: engine.clock())
        if recovered > 0 { engine.note(.warning, "requeued \(recovered) jobs left running by a process that is gone") }
        engine.stopRequested = false
        let group = DispatchGroup()
        for index in 0..<runners {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                runJobs("\(owner)-\(index)")
            }
            thread.name = "sync-runner-\(index)"
            thread.start()
        }
        var lastRescan = ContinuousClock.now
        while !stopping.isSet {
            if watchesSignals, cc_stop_signal() != 0 {
                engine.note(
                    .info, "received \(cc_stop_signal() == SIGTERM ? "SIGTERM" : "SIGINT"): finishing running jobs")
                stop()
                break
            }
            // Each step on its own: one that fails (a busy store) does not hold back the others.
            func step(_ name: String, _ body: () throws -> Void) {
                do { try body() } catch { engine.note(.error, "\(name): \(error)") }
            }
            var created = 0
            step("real-time trigger") { created += try engine.pollEvents() }
            step("schedules") { created += try engine.tickSchedules(now: engine.clock()) }
            step("lease recovery") { try engine.queue.recoverLeases(now: engine.clock()) }
            if created > 0 { wake.broadcast() }
            if ContinuousClock.now - lastRescan > rescanInterval {
                lastRescan = .now
                step("plugin rescan") { try engine.catalog.refresh() }
                engine.supervisor.stopWorkers(idleLongerThan: workerIdleLimit)
            }
            wake.lock()
            _ = wake.wait(until: Date(timeIntervalSinceNow: triggerInterval.timeInterval))
            wake.unlock()
        }
        engine.stopRequested = true
        wake.broadcast()
        if group.wait(timeout: .now() + stopGrace.timeInterval) == .timedOut {
            engine.note(
                .warning,
                "jobs still running \(stopGrace.components.seconds) s after the stop: ending their plugin calls; the "
                    + "jobs go back to the queue")
            engine.abandonRunningCalls()
            group.wait()
        }
        engine.supervisor.shutdown()
    }

    public func stop() {
        stopping.set()
        wake.broadcast()
    }

    /// Stops on SIGTERM and SIGINT.
    public func stopOnSignals() {
        cc_install_stop_signals()
        watchesSignals = true
    }

    private func runJobs(_ owner: String) {
        while !stopping.isSet {
            let ran: Bool
            do {
                // One plugin never holds every runner: a hung one would stall every other integration.
                ran = try engine.runNext(owner: owner, runnerShare: max(1, runners - 1)) != nil
            } catch {
                engine.note(.error, "runner \(owner): \(error)")
                ran = false
            }
            if !ran {
                wake.lock()
                if !stopping.isSet { _ = wake.wait(until: Date(timeIntervalSinceNow: 0.25)) }
                wake.unlock()
            }
        }
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    func clear() { lock.withLock { value = false } }
}
