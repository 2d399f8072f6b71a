import Foundation
import PluginABI

/// Where every plugin call goes. Routes it to the in-process runner or to a worker pool chosen by plugin build and,
/// with `tenant` isolation, by tenant; enforces the deadline; validates the outcome; and reports pool health.
/// Two builds of one plugin id have different pools, so old and new versions run side by side.
public final class PluginSupervisor: @unchecked Sendable {
    public let configuration: SupervisorConfiguration
    private let log: HostLog
    private let lock = NSLock()
    private var pools: [String: WorkerPool] = [:]
    private let inProcess = InProcessRunner()

    public init(configuration: SupervisorConfiguration = SupervisorConfiguration(), log: HostLog = StandardErrorLog()) {
        self.configuration = configuration
        self.log = log
    }

    /// Runs one operation. Returns the plugin's outcome (which may be an error status the plugin chose, such as
    /// `auth_error`); throws `PluginCallError` when the plugin misbehaved or is quarantined. For a push, pass the
    /// keys of the records sent, so the results can be checked against them; they come back in that order, one each.
    public func call(
        _ build: PluginBuild, instance: InstanceSpec, isolation: IsolationLevel = .process,
        operation: PluginOperation, input: [UInt8] = [], expectedKeys: [String]? = nil,
        timeout: Duration? = nil, services: HostServiceHandler
    ) throws(PluginCallError) -> CallOutcome {
        let outcome: CallOutcome
        switch isolation {
        case .none:
            // In the host's process a plugin reaches all the host reaches: with the sandbox on, it does not run.
            guard configuration.sandbox == nil else {
                throw PluginCallError(
                    .unavailable,
                    "\(build.label) is set to run in the host's process (isolation none), which the plugin sandbox "
                        + "cannot confine; give its integration process or tenant isolation")
            }
            outcome = try inProcess.call(
                build, instance: instance, operation: operation, input: input, services: services)
        case .process, .tenant:
            let pool = pool(for: build, tenant: isolation == .tenant ? instance.tenant ?? "" : nil)
            let deadline = ContinuousClock.now + (timeout ?? configuration.timeout(for: operation))
            let worker = try pool.acquire(deadline: deadline)
            do {
                let raw = try worker.call(
                    operation, input: input, instance: instance, deadline: deadline, services: services)
                outcome = try OutcomeValidator.validate(
                    raw, operation: operation, expectedKeys: expectedKeys, plugin: build.label)
                pool.release(worker, fault: nil)
                return outcome
            } catch {
                pool.release(worker, fault: error)
                throw error
            }
        }
        return try OutcomeValidator.validate(
            outcome, operation: operation, expectedKeys: expectedKeys, plugin: build.label)
    }

    private func pool(for build: PluginBuild, tenant: String?) -> WorkerPool {
        lock.withLock {
            let key = build.sha256 + (tenant.map { "/tenant:" + $0 } ?? "")
            if let existing = pools[key] { return existing }
            let created = WorkerPool(build: build, tenant: tenant, configuration: configuration, log: log)
            pools[key] = created
            return created
        }
    }

    public var health: [PoolHealth] {
        lock.withLock { Array(pools.values) }.map(\.health).sorted {
            ($0.plugin, $0.tenant ?? "") < ($1.plugin, $1.tenant ?? "")
        }
    }

    /// Lifts a quarantine on every pool of a build, e.g. after the operator fixed its configuration.
    public func resetQuarantine(sha256: String) {
        lock.withLock { pools.values.filter { $0.build.sha256 == sha256 } }.forEach { $0.resetQuarantine() }
    }

    /// Stops every idle worker; workers still in a call exit when it ends.
    public func shutdown() {
        lock.withLock { Array(pools.values) }.forEach { $0.close() }
    }

    /// Ends every call in progress by killing its worker (a stopping host whose jobs did not hand back in time).
    public func abandonCalls() {
        lock.withLock { Array(pools.values) }.forEach { $0.killLent() }
    }

    /// Stops every worker idle for longer than `limit`; the next call to its plugin starts another.
    public func stopWorkers(idleLongerThan limit: Duration) {
        let cutoff = ContinuousClock.now - limit
        lock.withLock { Array(pools.values) }.forEach { $0.stopIdle(since: cutoff) }
    }

    /// Retires the pools of a build (after an upgrade): new calls get new pools, in-flight calls finish on theirs.
    public func retire(sha256: String) {
        let retired = lock.withLock { () -> [WorkerPool] in
            let matching = pools.filter { $0.value.build.sha256 == sha256 }
            matching.keys.forEach { pools[$0] = nil }
            return Array(matching.values)
        }
        retired.forEach { $0.close() }
    }
}
