import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One end of the private worker channel (a socket pair): whole frames in, whole frames out, with a deadline on
/// reading. Not the worker's stdout: a plugin that prints cannot corrupt it.
final class FrameChannel {
    /// Frames larger than this are taken as garbage (a plugin scribbling on the descriptor), not allocated.
    static let maximumFrame = 512 << 20

    enum ReadFailure: Error {
        case closed
        case timedOut
        case malformed(String)
    }

    let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 8)

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { scratch.deallocate() }

    func send(_ frame: [UInt8]) -> Bool { FileDescriptors.writeAll(descriptor, frame) }

    /// The next frame's type and payload; waits until `deadline` (nil: forever).
    func receive(deadline: ContinuousClock.Instant?) throws(ReadFailure) -> (FrameType, [UInt8]) {
        while true {
            if let frame = try nextBufferedFrame() { return frame }
            try fill(deadline: deadline)
        }
    }

    private func nextBufferedFrame() throws(ReadFailure) -> (FrameType, [UInt8])? {
        let available = buffer.count - start
        guard available >= 4 else { return nil }
        let length = Int(
            UInt32(buffer[start]) | UInt32(buffer[start + 1]) << 8 | UInt32(buffer[start + 2]) << 16
                | UInt32(buffer[start + 3]) << 24)
        guard length >= 1, length <= Self.maximumFrame else {
            throw .malformed("frame length \(length) is outside 1...\(Self.maximumFrame)")
        }
        guard available >= 4 + length else { return nil }
        let typeByte = buffer[start + 4]
        guard let type = FrameType(rawValue: typeByte) else {
            throw .malformed("unknown frame type 0x\(String(typeByte, radix: 16))")
        }
        let payload = Array(buffer[(start + 5)..<(start + 4 + length)])
        start += 4 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return (type, payload)
    }

    private func fill(deadline: ContinuousClock.Instant?) throws(ReadFailure) {
        if start > 0 && start > buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        while true {
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                if remaining <= .zero { throw .timedOut }
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(clamping: Int64((remaining / .milliseconds(1)).rounded(.up)))
                let ready = poll(&poller, 1, milliseconds)
                if ready < 0 && errno == EINTR { continue }
                if ready == 0 { continue }
            }
            let count = read(descriptor, scratch.baseAddress, scratch.count)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if count <= 0 { throw .closed }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            return
        }
    }
}
