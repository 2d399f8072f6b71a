import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion and reports its wall time and peak resident memory (from `wait4`), so a
/// benchmark can measure a command exactly as users run it.
public struct MeasuredRun {
    public let status: Int32
    public let duration: Duration
    public let peakResidentBytes: Int
    public let output: String

    public static func run(_ executable: String, _ arguments: [String]) throws -> MeasuredRun {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).out")
            .path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = ContinuousClock.now
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(description: "spawn \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let duration = ContinuousClock.now - started
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return MeasuredRun(
            status: (status >> 8) & 0xFF, duration: duration, peakResidentBytes: Int(usage.ru_maxrss) * 1024,
            output: output)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }
}
