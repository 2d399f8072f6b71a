import CSystemShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a child process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        if status & 0x7F == 0 {
            self = .exited((status >> 8) & 0xFF)
        } else {
            self = .signaled(status & 0x7F)
        }
    }

    /// "exit status 3" or "SIGSEGV (signal 11)".
    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "\(SignalNames.name(signal)) (signal \(signal))"
        }
    }
}

/// A spawned child process (a scanner or a worker). The caller reaps it with `wait`; `deinit` kills and reaps a
/// child nobody waited for, so no zombie outlives its handle.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var status: ExitStatus?

    /// Spawns `executable`; each `(child, parent)` pair makes descriptor `child` in the new process a copy of
    /// `parent` in this one; all other descriptors above 2 are closed. `withoutHostVariables` leaves the host's
    /// CRYPTOCONNECT_* variables (the master key among them) out of its environment: for processes that load
    /// plugins.
    public static func spawn(
        _ executable: String, arguments: [String], descriptors: [(child: Int32, parent: Int32)],
        newSession: Bool = true, withoutHostVariables: Bool = false
    ) throws(HostSystemError) -> ChildProcess {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let childFDs = descriptors.map(\.child)
        let parentFDs = descriptors.map(\.parent)
        var pid: pid_t = 0
        let result = argv.withUnsafeBufferPointer { argvPointer in
            cc_spawn(
                executable, argvPointer.baseAddress, childFDs, parentFDs, Int32(descriptors.count),
                newSession ? 1 : 0, withoutHostVariables ? 1 : 0, &pid)
        }
        guard result == 0 else { throw HostSystemError(operation: "spawn \(executable)", code: result) }
        return ChildProcess(pid: pid)
    }

    private init(pid: pid_t) { self.pid = pid }

    deinit {
        kill(SIGKILL)
        _ = waitUntil(nil)
    }

    /// Reaps the child if it has ended; call with `lock` held. Reaping only under the lock means no thread can
    /// signal a pid between its check and its `kill` while another thread reaps it (and the pid is reused).
    private func reapIfEnded() -> ExitStatus? {
        if let status { return status }
        var raw: Int32 = 0
        switch waitpid(pid, &raw, WNOHANG) {
        case pid:
            status = ExitStatus(waitStatus: raw)
        case 0:
            break
        default:
            // Reaped outside this object, which must not happen; treat it as gone so it is never signalled.
            status = .signaled(0)
        }
        return status
    }

    /// The exit status once reaped.
    public var exitStatus: ExitStatus? { lock.withLock { status } }

    /// Waits for the child to end, up to `deadline` (nil: forever). Returns nil if it is still running.
    @discardableResult
    public func waitUntil(_ deadline: ContinuousClock.Instant?) -> ExitStatus? {
        var pause: Duration = .microseconds(200)
        while true {
            if let ended = lock.withLock({ reapIfEnded() }) { return ended }
            if deadline == nil {
                // Block until it ends without reaping it (WNOWAIT): the reap happens under the lock above.
                var info = siginfo_t()
                if waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno != EINTR {
                    return lock.withLock { reapIfEnded() }
                }
                continue
            }
            if ContinuousClock.now >= deadline! { return nil }
            Thread.sleep(forTimeInterval: pause.timeInterval)
            pause = min(pause * 2, .milliseconds(10))
        }
    }

    /// Signals the child if it is still running; never a pid it no longer owns.
    public func kill(_ signal: Int32 = SIGKILL) {
        lock.withLock {
            if reapIfEnded() == nil { Glibc.kill(pid, signal) }
        }
    }

    /// Kills the child and reaps it.
    @discardableResult
    public func terminate() -> ExitStatus? {
        kill(SIGKILL)
        return waitUntil(nil)
    }
}

/// A failed system call, with errno turned into words.
public struct HostSystemError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32

    public init(operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
