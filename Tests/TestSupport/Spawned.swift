import Foundation
import PluginRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// A program a test starts, on the host's own spawn path (posix_spawn, then waitpid on that pid alone).
///
/// Not Foundation's `Process`: on Linux it learns of every child's exit on one shared thread, which can block in
/// `wait4` on a child that is still running (a long-lived nginx or `serve`) when descriptor numbers are reused
/// between concurrent launches; every later `waitUntilExit` in the test run then hangs.
public final class Spawned: @unchecked Sendable {
    public let child: ChildProcess
    public var pid: pid_t { child.pid }

    /// Starts `executable` with stdin from /dev/null and stdout/stderr into the given files (or /dev/null), the
    /// test process's environment plus `environment`, in `currentDirectory` if given.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: String? = nil, stdout: String? = nil, stderr: String? = nil
    ) throws {
        // env(1) applies the working directory and the extra variables in the child, so the spawn stays exact.
        var prefix = currentDirectory.map { ["-C", $0] } ?? []
        prefix += environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let output = open(stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let errors = open(stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { [input, output, errors].filter { $0 >= 0 }.forEach { close($0) } }
        guard input >= 0, output >= 0, errors >= 0 else {
            throw HostSystemError(operation: "open the output files of \(executable)")
        }
        child = try ChildProcess.spawn(
            "/usr/bin/env", arguments: prefix + [executable] + arguments,
            descriptors: [(0, input), (1, output), (2, errors)], newSession: false)
    }

    public var isRunning: Bool { child.waitUntil(.now) == nil }

    public func signal(_ number: Int32) { child.kill(number) }

    /// Waits for the program to end: its exit code, or 128 + the signal that ended it (as a shell reports it).
    @discardableResult
    public func wait() -> Int32 {
        switch child.waitUntil(nil) {
        case .exited(let code): return code
        case .signaled(let number): return 128 + number
        case nil: return -1
        }
    }
}
