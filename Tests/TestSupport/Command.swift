import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion and captures its output; for the C compiler and for `cryptoconnect` itself.
public enum Command {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `executable` to completion; with `timeout`, a program still running then is killed (status 137) and
    /// its stderr says so, so a hang fails a test instead of stalling the run.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: String? = nil, timeout: Duration? = nil
    ) throws -> Result {
        let output = TemporaryDirectory("command")
        let stdoutPath = output.file("stdout", "")
        let stderrPath = output.file("stderr", "")
        let program = try Spawned(
            executable, arguments, environment: environment, currentDirectory: currentDirectory, stdout: stdoutPath,
            stderr: stderrPath)
        let hung = timeout.map { program.child.waitUntil(.now + $0) == nil } ?? false
        if hung { program.signal(SIGKILL) }
        let status = program.wait()
        return Result(
            status: status,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: ((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
                + (hung ? "\n[killed: still running after \(timeout!)]" : ""))
    }

    /// Runs the built `cryptoconnect` with `arguments`.
    public static func cryptoconnect(
        _ arguments: [String], environment: [String: String] = [:], currentDirectory: String? = nil,
        timeout: Duration? = nil
    ) throws -> Result {
        try run(
            PackagePaths.hostExecutable, arguments, environment: environment, currentDirectory: currentDirectory,
            timeout: timeout)
    }
}
