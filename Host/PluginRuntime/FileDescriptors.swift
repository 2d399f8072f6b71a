import CSystemShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Raw descriptor helpers: every descriptor the host opens is close-on-exec, so children only ever get the ones
/// `ChildProcess.spawn` maps explicitly.
enum FileDescriptors {
    static func pipe() throws(HostSystemError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        let result = cc_pipe_cloexec(&fds)
        guard result == 0 else { throw HostSystemError(operation: "pipe2", code: result) }
        return (fds[0], fds[1])
    }

    static func socketPair() throws(HostSystemError) -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw HostSystemError(operation: "socketpair")
        }
        return (fds[0], fds[1])
    }

    /// Reads until end of file or `deadline`. Returns nil when the deadline passed first.
    static func readAll(_ fd: Int32, deadline: ContinuousClock.Instant, limit: Int = 16 << 20) -> [UInt8]? {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: Int64((remaining / .milliseconds(1)).rounded(.up)))
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return collected }
            if collected.count < limit { collected.append(contentsOf: buffer[0..<count]) }
        }
    }

    /// Writes everything, retrying on interruption.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }
}
