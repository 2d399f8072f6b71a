/// The byte encoding of frames on the worker channel: little-endian integers, length-prefixed byte strings.
/// Hand-rolled rather than JSON because a 1000-record batch crosses this channel twice per call.
struct FrameWriter {
    private(set) var bytes: [UInt8] = []

    init(type: FrameType, capacity: Int = 64) {
        bytes.reserveCapacity(capacity + 5)
        bytes.append(contentsOf: [0, 0, 0, 0])  // length, patched by `finish`
        bytes.append(type.rawValue)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }

    mutating func i64(_ value: Int64) {
        u32(UInt32(truncatingIfNeeded: value))
        u32(UInt32(truncatingIfNeeded: value >> 32))
    }

    mutating func data(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optionalString(_ value: String?) {
        guard let value else { return u8(0) }
        u8(1)
        string(value)
    }

    /// The finished frame: the 4-byte length (of type and payload) followed by them. `trailing` counts bytes the
    /// caller sends right after these (see `FrameChannel.send(_:trailing:)`), so a large body is never copied.
    mutating func finish(trailing: Int = 0) -> [UInt8] {
        let length = UInt32(bytes.count - 4 + trailing).littleEndian
        withUnsafeBytes(of: length) { raw in
            for index in 0..<4 { bytes[index] = raw[index] }
        }
        return bytes
    }
}

/// Reads a frame's payload; every read is bounds-checked, so a scribbled frame is an error, never a crash.
struct FrameReader {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    let payload: [UInt8]
    private var offset = 0

    init(payload: [UInt8]) { self.payload = payload }

    var isAtEnd: Bool { offset == payload.count }

    /// Claims `count` bytes and returns where they start.
    private mutating func claim(_ count: Int) throws(Malformed) -> Int {
        guard count >= 0, payload.count - offset >= count else {
            throw Malformed(
                description: "frame ends early: needed \(count) bytes at offset \(offset) of \(payload.count)")
        }
        defer { offset += count }
        return offset
    }

    mutating func u8() throws(Malformed) -> UInt8 { payload[try claim(1)] }

    mutating func u32() throws(Malformed) -> UInt32 {
        let at = try claim(4)
        return UInt32(littleEndian: payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) })
    }

    mutating func i32() throws(Malformed) -> Int32 { Int32(bitPattern: try u32()) }

    mutating func i64() throws(Malformed) -> Int64 {
        let at = try claim(8)
        return Int64(littleEndian: payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Int64.self) })
    }

    /// Where the next length-prefixed byte string lies in the payload, without copying it.
    mutating func dataRange() throws(Malformed) -> Range<Int> {
        let count = Int(try u32())
        let at = try claim(count)
        return at..<at + count
    }

    mutating func data() throws(Malformed) -> [UInt8] { Array(payload[try dataRange()]) }

    mutating func string() throws(Malformed) -> String {
        let range = try dataRange()
        let text: String? = payload.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self)
        }
        guard let text else { throw Malformed(description: "a string in the frame is not valid UTF-8") }
        return text
    }

    mutating func optionalString() throws(Malformed) -> String? {
        switch try u8() {
        case 0: return nil
        case 1: return try string()
        case let marker: throw Malformed(description: "invalid optional marker \(marker)")
        }
    }
}

/// Frame types. Host to worker below 0x80; worker to host from 0x80.
enum FrameType: UInt8 {
    case create = 0x01  // instance id, configuration
    case call = 0x02  // instance id, operation, input
    case destroy = 0x03  // instance id
    case serviceReply = 0x04  // the answer to a service request
    case shutdown = 0x05

    case ready = 0x80  // plugin id, version: the worker loaded its plugin
    case fatal = 0x81  // code, message: the worker could not load its plugin
    case outcome = 0x82  // the result of create or call
    case log = 0x83  // level, message
    case serviceRequest = 0x84  // a host service the plugin called, waiting for its reply
}

/// Host services a worker forwards to the host, in `serviceRequest` frames.
enum ServiceKind: UInt8 {
    case http = 1
    case checkpointGet = 2
    case checkpointSet = 3
    case valueGet = 4
    case valueSet = 5
    case clock = 6
}
