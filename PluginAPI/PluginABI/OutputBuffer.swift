import CCPluginAPI

/// Collects what a producer writes through a `cc_output`. The receiver side of the ABI's ownership rule: the
/// bytes are copied during `write`, so nothing is ever freed across the boundary.
public final class OutputBuffer {
    public private(set) var bytes: [UInt8] = []
    /// The most bytes kept; what comes after is dropped, and `overflowed` says so.
    public let limit: Int
    public private(set) var overflowed = false

    public init(limit: Int = .max) { self.limit = limit }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Runs `body` with a `cc_output` that appends to this buffer; valid only inside `body`.
    public func withOutput<R>(_ body: (UnsafePointer<cc_output>) throws -> R) rethrows -> R {
        let context = Unmanaged.passUnretained(self).toOpaque()
        var output = cc_output(context: context, write: OutputBuffer.writeThunk)
        return try withUnsafePointer(to: &output) { try body($0) }
    }

    /// A `cc_output` value pointing at this buffer, for structs that embed one (`cc_http_response`). The caller
    /// keeps the buffer alive while the output can be written.
    public var output: cc_output {
        cc_output(context: Unmanaged.passUnretained(self).toOpaque(), write: OutputBuffer.writeThunk)
    }

    public func append(_ data: UnsafeRawBufferPointer) {
        guard !overflowed, bytes.count + data.count <= limit else {
            overflowed = true
            return
        }
        bytes.append(contentsOf: data.bindMemory(to: UInt8.self))
    }

    private static let writeThunk: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int) -> Void = {
        context, data, length in
        guard let context, let data, length > 0 else { return }
        let buffer = Unmanaged<OutputBuffer>.fromOpaque(context).takeUnretainedValue()
        buffer.append(UnsafeRawBufferPointer(start: data, count: length))
    }
}

extension cc_output {
    /// Writes bytes through this output (the producer side).
    public func write(_ bytes: some Collection<UInt8>) {
        guard let write else { return }
        if let done = bytes.withContiguousStorageIfAvailable({ buffer -> Void in
            buffer.withMemoryRebound(to: CChar.self) { write(context, $0.baseAddress, $0.count) }
        }) {
            return done
        }
        Array(bytes).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { write(context, $0.baseAddress, $0.count) }
        }
    }

    public func write(_ string: String) {
        var copy = string
        copy.withUTF8 { write($0) }
    }
}
