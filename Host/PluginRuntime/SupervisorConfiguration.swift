import PluginABI

/// Limits the supervisor enforces on plugins. Defaults suit a production host; tests tighten them.
public struct SupervisorConfiguration: Sendable {
    /// Deadline of each operation; past it the worker is killed and the call fails with `plugin_timeout`.
    public var timeouts: [PluginOperation: Duration] = [
        .test: .seconds(30), .schema: .seconds(30), .push: .seconds(300), .pull: .seconds(300), .event: .seconds(60),
    ]
    /// Heap limit of each worker; past it the call fails with `plugin_memory_limit`.
    public var memoryLimitBytes: Int? = 512 << 20
    /// What a worker may open once its plugin is loaded; nil (the default): what the host may.
    public var sandbox: FileSandbox?
    /// Time a worker has to load its plugin.
    public var loadTimeout: Duration = .seconds(10)
    /// Workers per pool: how many calls to one plugin build (and tenant, with `tenant` isolation) run at once.
    public var workersPerPool = 4
    /// Consecutive faults (crash, hang, memory, protocol) after which a pool is quarantined.
    public var quarantineAfter = 5
    /// How long a quarantine lasts before one call is let through to probe the plugin again.
    public var quarantineDuration: Duration = .seconds(300)
    /// Delay before restarting after the first fault; doubles with each further one, up to `restartBackoffLimit`.
    public var restartBackoff: Duration = .milliseconds(100)
    public var restartBackoffLimit: Duration = .seconds(10)

    public init() {}

    public func timeout(for operation: PluginOperation) -> Duration { timeouts[operation] ?? .seconds(60) }

    func backoff(afterFaults faults: Int) -> Duration {
        guard faults > 0 else { return .zero }
        let factor = 1 << min(faults - 1, 20)
        return min(restartBackoff * factor, restartBackoffLimit)
    }
}
