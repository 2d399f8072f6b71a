import Foundation

/// The workers serving one plugin build (and, with `tenant` isolation, one tenant). Lends idle workers to calls,
/// starts new ones up to the pool size, restarts after faults with exponential backoff, and quarantines a build
/// that keeps failing instead of restarting it forever.
final class WorkerPool: @unchecked Sendable {
    let build: PluginBuild
    let tenant: String?
    private let configuration: SupervisorConfiguration
    private let log: HostLog
    private let condition = NSCondition()
    /// Workers free for a call, each with when it last finished one; the last is the latest.
    private var idle: [(worker: WorkerProcess, since: ContinuousClock.Instant)] = []
    /// Workers lent to calls now, so a stopping host can end calls that hang.
    private var lent: [ObjectIdentifier: WorkerProcess] = [:]
    private var running = 0
    private var consecutiveFaults = 0
    private var lastFault: PluginCallError?
    private var quarantinedUntil: ContinuousClock.Instant?
    private var nextStartAllowed = ContinuousClock.now
    private var closed = false

    init(build: PluginBuild, tenant: String?, configuration: SupervisorConfiguration, log: HostLog) {
        self.build = build
        self.tenant = tenant
        self.configuration = configuration
        self.log = log
    }

    /// Borrows a worker, waiting (until `deadline`) for one to be free and for any restart backoff to pass.
    func acquire(deadline: ContinuousClock.Instant) throws(PluginCallError) -> WorkerProcess {
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw PluginCallError(.unavailable, "\(build.label) is shutting down")
            }
            if let until = quarantinedUntil {
                if ContinuousClock.now < until {
                    condition.unlock()
                    throw PluginCallError(.quarantined, quarantineMessage)
                }
                quarantinedUntil = nil  // one probe call; another fault re-quarantines at once
                consecutiveFaults = configuration.quarantineAfter - 1
            }
            if let worker = idle.popLast()?.worker {
                guard worker.isAlive else {
                    // Died while idle: dropped, and a fresh one started in its place.
                    running -= 1
                    worker.kill()
                    log.write(
                        LogEntry(
                            level: .warning, source: "host",
                            message: "a worker of \(build.label) (pid \(worker.pid)) died while idle; starting another")
                    )
                    continue
                }
                lent[ObjectIdentifier(worker)] = worker
                condition.unlock()
                return worker
            }
            let now = ContinuousClock.now
            if running < configuration.workersPerPool && now >= nextStartAllowed {
                running += 1
                condition.unlock()
                do {
                    let worker = try WorkerProcess(
                        build: build, memoryLimit: configuration.memoryLimitBytes, sandbox: configuration.sandbox,
                        loadTimeout: configuration.loadTimeout, log: log)
                    condition.lock()
                    lent[ObjectIdentifier(worker)] = worker
                    condition.unlock()
                    return worker
                } catch {
                    condition.lock()
                    running -= 1
                    recordFault(error)
                    condition.unlock()
                    throw error
                }
            }
            let wakeAt = running < configuration.workersPerPool ? min(nextStartAllowed, deadline) : deadline
            if now >= deadline {
                condition.unlock()
                throw PluginCallError(.timeout, "no worker for \(build.label) became free in time")
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: (wakeAt - now).timeInterval))
        }
    }

    /// Returns a worker after a call. A broken worker is dropped (it is dead or killed) and counts as a fault.
    func release(_ worker: WorkerProcess, fault: PluginCallError?) {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        lent[ObjectIdentifier(worker)] = nil
        if let fault {
            recordFault(fault)
        } else {
            consecutiveFaults = 0
        }
        if worker.isBroken || closed {
            running -= 1
            if !worker.isBroken { worker.shutdown() }
        } else {
            idle.append((worker, .now))
        }
    }

    /// Call with the lock held.
    private func recordFault(_ fault: PluginCallError) {
        guard fault.countsAsFault else { return }
        consecutiveFaults += 1
        lastFault = fault
        nextStartAllowed = ContinuousClock.now + configuration.backoff(afterFaults: consecutiveFaults)
        if consecutiveFaults >= configuration.quarantineAfter {
            quarantinedUntil = ContinuousClock.now + configuration.quarantineDuration
            log.write(LogEntry(level: .error, source: "supervisor", message: quarantineMessage))
        }
    }

    private var quarantineMessage: String {
        "\(build.label)\(tenant.map { " for tenant \($0)" } ?? "") is quarantined after \(consecutiveFaults) "
            + "consecutive failures (last: \(lastFault?.description ?? "unknown")); it is retried after "
            + "\(configuration.quarantineDuration.components.seconds) s; a new build of it loads at once"
    }

    var health: PoolHealth {
        condition.lock()
        defer { condition.unlock() }
        let quarantined = quarantinedUntil.map { ContinuousClock.now < $0 } ?? false
        return PoolHealth(
            plugin: build.label, sha256: build.sha256, tenant: tenant, workers: running, idleWorkers: idle.count,
            consecutiveFaults: consecutiveFaults, quarantined: quarantined, lastFault: lastFault?.description)
    }

    /// Kills the workers lent to calls: the calls end with the worker gone (a stopping host's last resort against
    /// a call that hangs).
    func killLent() {
        condition.lock()
        let busy = Array(lent.values)
        condition.unlock()
        busy.forEach { $0.kill() }
    }

    func resetQuarantine() {
        condition.lock()
        quarantinedUntil = nil
        consecutiveFaults = 0
        nextStartAllowed = .now
        condition.broadcast()
        condition.unlock()
    }

    /// Stops idle workers and refuses new calls; running calls finish and their workers exit on release.
    func close() {
        condition.lock()
        closed = true
        let stopping = idle.map(\.worker)
        idle.removeAll()
        running -= stopping.count
        condition.broadcast()
        condition.unlock()
        stopping.forEach { $0.shutdown() }
    }

    /// Stops the workers idle since before `cutoff`: a build no integration calls any more (the one an upgrade
    /// replaced) keeps none, and a plugin called once a day holds no memory between its calls.
    func stopIdle(since cutoff: ContinuousClock.Instant) {
        condition.lock()
        let stale = idle.filter { $0.since < cutoff }.map(\.worker)
        idle.removeAll { $0.since < cutoff }
        running -= stale.count
        condition.broadcast()
        condition.unlock()
        stale.forEach { $0.shutdown() }
    }
}

/// What the supervisor knows about one pool, for status output.
public struct PoolHealth: Sendable, Equatable {
    public let plugin: String
    public let sha256: String
    public let tenant: String?
    public let workers: Int
    public let idleWorkers: Int
    public let consecutiveFaults: Int
    public let quarantined: Bool
    public let lastFault: String?
}
