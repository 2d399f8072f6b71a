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
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }

    mutating func i64(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func data(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) {
        u32(UInt32(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    mutating func optionalString(_ value: String?) {
        guard let value else { return u8(0) }
        u8(1)
        string(value)
    }

    /// The finished frame: the 4-byte length (of type and payload) followed by them.
    mutating func finish() -> [UInt8] {
        let length = UInt32(bytes.count - 4).littleEndian
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

    private let bytes: [UInt8]
    private var offset: Int

    init(payload: [UInt8]) {
        bytes = payload
        offset = 0
    }

    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else {
            throw Malformed(
                description: "frame ends early: needed \(count) bytes at offset \(offset) of \(bytes.count)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func u8() throws(Malformed) -> UInt8 { try take(1).first! }

    mutating func u32() throws(Malformed) -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func i32() throws(Malformed) -> Int32 { Int32(bitPattern: try u32()) }

    mutating func i64() throws(Malformed) -> Int64 {
        Int64(bitPattern: try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    mutating func data() throws(Malformed) -> [UInt8] { Array(try take(Int(try u32()))) }

    mutating func string() throws(Malformed) -> String {
        let raw = try take(Int(try u32()))
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw Malformed(description: "a string in the frame is not valid UTF-8")
        }
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
