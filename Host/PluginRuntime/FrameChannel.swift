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

    /// Sends a frame whose last field's bytes follow separately (`FrameWriter.finish(trailing:)`), in one writev.
    func send(_ head: [UInt8], trailing body: [UInt8]) -> Bool {
        guard !body.isEmpty else { return send(head) }
        return head.withUnsafeBytes { headBytes in
            body.withUnsafeBytes { bodyBytes in
                var parts = [
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: headBytes.baseAddress), iov_len: headBytes.count),
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress), iov_len: bodyBytes.count),
                ]
                var remaining = headBytes.count + bodyBytes.count
                while remaining > 0 {
                    let written = writev(descriptor, &parts, Int32(parts.count))
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { return false }
                    remaining -= written
                    var skip = written
                    for index in parts.indices {
                        let take = min(skip, parts[index].iov_len)
                        parts[index].iov_base = parts[index].iov_base.map { $0 + take }
                        parts[index].iov_len -= take
                        skip -= take
                    }
                }
                return true
            }
        }
    }

    /// The next frame's type and payload; waits until `deadline` (nil: forever).
    func receive(deadline: ContinuousClock.Instant?) throws(ReadFailure) -> (FrameType, [UInt8]) {
        pendingDeadline = deadline
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
        guard available >= 4 + length else {
            // A large frame is read straight into its own array rather than grown in the buffer and copied.
            if length >= Self.directReadThreshold && available >= 5 { return try readDirect(length: length) }
            return nil
        }
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

    static let directReadThreshold = 64 << 10

    private var pendingDeadline: ContinuousClock.Instant?

    private func readDirect(length: Int) throws(ReadFailure) -> (FrameType, [UInt8]) {
        let typeByte = buffer[start + 4]
        guard let type = FrameType(rawValue: typeByte) else {
            throw .malformed("unknown frame type 0x\(String(typeByte, radix: 16))")
        }
        let buffered = buffer.count - start - 5
        var failure: ReadFailure?
        let payload = [UInt8](unsafeUninitializedCapacity: length - 1) { storage, count in
            buffer.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(storage).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[(start + 5)...]))
            }
            var filled = buffered
            while filled < length - 1 {
                if let deadline = pendingDeadline, !waitReadable(until: deadline) {
                    failure = .timedOut
                    break
                }
                let got = read(descriptor, storage.baseAddress! + filled, length - 1 - filled)
                if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if got <= 0 {
                    failure = .closed
                    break
                }
                filled += got
            }
            count = failure == nil ? length - 1 : 0
        }
        if let failure { throw failure }
        buffer.removeAll(keepingCapacity: true)
        start = 0
        return (type, payload)
    }

    /// Waits until the descriptor is readable; false once `deadline` has passed.
    private func waitReadable(until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return false }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: Int64((remaining / .milliseconds(1)).rounded(.up)))
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }  // let read report the error
        }
    }

    private func fill(deadline: ContinuousClock.Instant?) throws(ReadFailure) {
        if start > 0 && start > buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        while true {
            if let deadline, !waitReadable(until: deadline) { throw .timedOut }
            let count = read(descriptor, scratch.baseAddress, scratch.count)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if count <= 0 { throw .closed }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            return
        }
    }
}
