import Foundation

/// Small timing helpers shared by the benchmarks: best-of-N wall-clock runs, so a noisy neighbour on a 2-core
/// machine inflates nothing but the discarded runs.
public enum Bench {
    /// The best time per iteration over `runs` runs of `iterations` iterations each.
    public static func perIteration(iterations: Int, runs: Int = 5, _ body: () throws -> Void) rethrows -> Duration {
        var best = Duration.seconds(1_000_000)
        for _ in 0..<runs {
            let started = ContinuousClock.now
            for _ in 0..<iterations { try body() }
            best = min(best, (ContinuousClock.now - started) / iterations)
        }
        return best
    }

    /// Best times per iteration of two bodies measured in alternation, so drift in the machine's speed (other
    /// processes, frequency scaling) hits both alike.
    public static func interleaved(
        iterations: Int, runs: Int = 7, _ first: () throws -> Void, _ second: () throws -> Void
    ) rethrows -> (Duration, Duration) {
        var best = (Duration.seconds(1_000_000), Duration.seconds(1_000_000))
        for _ in 0..<runs {
            var started = ContinuousClock.now
            for _ in 0..<iterations { try first() }
            best.0 = min(best.0, (ContinuousClock.now - started) / iterations)
            started = ContinuousClock.now
            for _ in 0..<iterations { try second() }
            best.1 = min(best.1, (ContinuousClock.now - started) / iterations)
        }
        return best
    }

    public static func nanoseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
    }

    public static func format(_ duration: Duration) -> String {
        let ns = nanoseconds(duration)
        if ns < 1_000 { return String(format: "%.0f ns", ns) }
        if ns < 1_000_000 { return String(format: "%.1f µs", ns / 1_000) }
        return String(format: "%.2f ms", ns / 1_000_000)
    }

    public static func rate(_ count: Int, per duration: Duration) -> String {
        let perSecond = Double(count) / (nanoseconds(duration) / 1e9)
        return perSecond >= 10_000 ? String(format: "%.0f", perSecond) : String(format: "%.1f", perSecond)
    }

    /// CPU time (user and system) used so far by this process and by its children that have exited and been
    /// reaped: what a run cost the machine, whatever its wall-clock time.
    public static func cpuSeconds() -> Double {
        cpuSeconds(RUSAGE_SELF.rawValue) + childrenCPUSeconds()
    }

    /// The CPU time of this process's children that have exited and been reaped (plugin workers, say).
    public static func childrenCPUSeconds() -> Double { cpuSeconds(RUSAGE_CHILDREN.rawValue) }

    private static func cpuSeconds(_ who: __rusage_who_t) -> Double {
        var usage = rusage()
        getrusage(who, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The machine's processor time so far, busy and idle, in seconds summed over its cores (from /proc/stat):
    /// between two readings, busy over the whole says how much of the machine a run kept working. Time the
    /// hypervisor gave to other guests (steal) is neither.
    public static func machineSeconds() -> (busy: Double, idle: Double) {
        let first = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8))?.split(separator: "\n").first ?? ""
        // cpu user nice system idle iowait irq softirq steal ...: ticks of 1/100 s
        let ticks = first.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 7 else { return (0, 0) }
        let idle = ticks[3] + ticks[4]
        return ((ticks[0...6].reduce(0, +) - idle) / 100, idle / 100)
    }

    /// Writes a line to standard output at once (a pipe would otherwise buffer it until the end).
    public static func report(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// The folder holding the build products this benchmark was built with.
    public static var binDirectory: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }

    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        let lines = [header, header.map { String(repeating: "-", count: max(3, $0.count)) }] + rows
        return lines.map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n")
    }
}
