import Foundation
import PluginABI

#if canImport(Glibc)
    import Glibc
#endif

/// Drains a worker's stdout and stderr into the host log, line by line, tagged with the plugin. It reads
/// continuously so a plugin that prints megabytes never blocks on a full pipe, and it caps how many lines per
/// second reach the log so it cannot flood it either.
final class OutputPump {
    static let linesPerSecond = OutputPumpLimits.linesPerSecond
    static let maximumLineLength = OutputPumpLimits.maximumLineLength

    private let thread: Thread

    init(stdout: Int32, stderr: Int32, source: String, log: HostLog) {
        thread = Thread {
            OutputPump.pump([(stdout, "stdout", .info), (stderr, "stderr", .warning)], source: source, log: log)
        }
        thread.name = "output-pump"
        thread.start()
    }

    private static func pump(_ streams: [(Int32, String, PluginLogLevel)], source: String, log: HostLog) {
        var open = streams
        var pending = [String: [UInt8]]()
        var windowStart = ContinuousClock.now
        var written = 0
        var suppressed = 0
        var buffer = [UInt8](repeating: 0, count: 65536)

        func rollWindow() {
            guard ContinuousClock.now - windowStart > .seconds(1) else { return }
            if suppressed > 0 {
                log.write(LogEntry(level: .warning, source: source, message: "\(suppressed) output lines suppressed"))
            }
            windowStart = ContinuousClock.now
            written = 0
            suppressed = 0
        }

        func emit(_ line: [UInt8], _ name: String, _ level: PluginLogLevel) {
            rollWindow()
            guard written < linesPerSecond else {
                suppressed += 1
                return
            }
            written += 1
            var text = String(decoding: line.prefix(maximumLineLength), as: UTF8.self)
            if line.count > maximumLineLength { text += " [\(line.count - maximumLineLength) more bytes]" }
            log.write(LogEntry(level: level, source: "\(source) \(name)", message: text))
        }

        while !open.isEmpty {
            var pollers = open.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
            if poll(&pollers, nfds_t(pollers.count), 250) < 0 && errno != EINTR { break }
            rollWindow()  // report suppressed lines even when the plugin has gone quiet
            var closed: [Int32] = []
            for (index, poller) in pollers.enumerated() where poller.revents != 0 {
                let (fd, name, level) = open[index]
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    if let rest = pending[name], !rest.isEmpty { emit(rest, name, level) }
                    closed.append(fd)
                    continue
                }
                var partial = pending[name] ?? []
                for byte in buffer[0..<count] {
                    if byte == 0x0A {
                        emit(partial, name, level)
                        partial.removeAll(keepingCapacity: true)
                    } else if partial.count <= maximumLineLength {
                        partial.append(byte)
                    }
                }
                pending[name] = partial
            }
            for fd in closed { close(fd) }
            open.removeAll { closed.contains($0.0) }
        }
        for (fd, _, _) in open { close(fd) }  // poll failed: a full pipe must not block the worker
        if suppressed > 0 {
            log.write(LogEntry(level: .warning, source: source, message: "\(suppressed) output lines suppressed"))
        }
    }
}

/// How much of a plugin's own output reaches the host log.
public enum OutputPumpLimits {
    /// Lines per second per worker; the rest are counted and reported as suppressed.
    public static let linesPerSecond = 200
    /// Longer lines are cut, with the number of bytes left out.
    public static let maximumLineLength = 2000
}
