extension JSON {
    /// Compact JSON with object members in sorted order, so equal values always serialise to equal bytes (the
    /// inventory's content hash relies on it).
    public func serialized() -> String {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    public func serializedBytes() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output)
        return output
    }

    /// Indented JSON for people (CLI output, sample files).
    public func prettyPrinted() -> String {
        var output: [UInt8] = []
        write(to: &output, indent: 0)
        return String(decoding: output, as: UTF8.self)
    }

    public func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): JSON.writeInteger(value, to: &output)
        case .number(let value): JSON.writeNumber(value, to: &output)
        case .string(let value): JSON.writeString(value, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let fields):
            output.append(UInt8(ascii: "{"))
            JSON.withIndicesInKeyOrder(fields) { indices in
                for (position, index) in indices.enumerated() {
                    if position > 0 { output.append(UInt8(ascii: ",")) }
                    JSON.writeString(fields.keys[index], to: &output)
                    output.append(UInt8(ascii: ":"))
                    fields.values[index].write(to: &output)
                }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private func write(to output: inout [UInt8], indent: Int) {
        let pad = { (level: Int) in [UInt8](repeating: UInt8(ascii: " "), count: level * 2) }
        switch self {
        case .array(let items) where !items.isEmpty:
            output.append(contentsOf: "[\n".utf8)
            for (position, item) in items.enumerated() {
                output.append(contentsOf: pad(indent + 1))
                item.write(to: &output, indent: indent + 1)
                output.append(contentsOf: (position < items.count - 1 ? ",\n" : "\n").utf8)
            }
            output.append(contentsOf: pad(indent))
            output.append(UInt8(ascii: "]"))
        case .object(let fields) where !fields.isEmpty:
            output.append(contentsOf: "{\n".utf8)
            JSON.withIndicesInKeyOrder(fields) { indices in
                for (position, index) in indices.enumerated() {
                    output.append(contentsOf: pad(indent + 1))
                    JSON.writeString(fields.keys[index], to: &output)
                    output.append(contentsOf: ": ".utf8)
                    fields.values[index].write(to: &output, indent: indent + 1)
                    output.append(contentsOf: (position < indices.count - 1 ? ",\n" : "\n").utf8)
                }
            }
            output.append(contentsOf: pad(indent))
            output.append(UInt8(ascii: "}"))
        default:
            write(to: &output)
        }
    }

    /// The dictionary's indices in UTF-8 byte order of their keys (the canonical order), sorted in a buffer on the
    /// stack: no key or value is copied out (retained and released again). With keys compared in place, a record is written about a
    /// fifth faster.
    static func withIndicesInKeyOrder<Result>(
        _ fields: [String: JSON], _ body: (UnsafeBufferPointer<Dictionary<String, JSON>.Index>) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: Dictionary<String, JSON>.Index.self, capacity: fields.count) { buffer in
            var buffer = buffer
            _ = buffer.initialize(from: fields.indices)
            defer { buffer.deinitialize() }
            buffer.sort { precedesInUTF8Order(fields.keys[$0], fields.keys[$1]) }
            return body(UnsafeBufferPointer(buffer))
        }
    }

    /// Compares the two strings' UTF-8 bytes in place, where a generic `lexicographicallyPrecedes` walks them
    /// through iterators.
    static func precedesInUTF8Order(_ left: String, _ right: String) -> Bool {
        let inPlace = left.utf8.withContiguousStorageIfAvailable { left in
            right.utf8.withContiguousStorageIfAvailable { right in
                for index in 0..<min(left.count, right.count) where left[index] != right[index] {
                    return left[index] < right[index]
                }
                return left.count < right.count
            }
        }
        return (inPlace ?? nil) ?? left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    static func writeInteger(_ value: Int64, to output: inout [UInt8]) {
        if value == 0 { return output.append(UInt8(ascii: "0")) }
        if value == .min { return output.append(contentsOf: String(value).utf8) }
        var magnitude = value < 0 ? -value : value
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 { output.append(UInt8(ascii: "-")) }
            output.append(contentsOf: buffer[(24 - count)...])
        }
    }

    static func writeNumber(_ value: Double, to output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: "null".utf8)  // JSON has no NaN or infinity
            return
        }
        if value == value.rounded(), abs(value) < 1e15 {
            writeInteger(Int64(value), to: &output)
        } else {
            output.append(contentsOf: String(value).utf8)
        }
    }

    public static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        let plain = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            // Most strings need no escaping: copy them in one go.
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            output.append(contentsOf: utf8)
            return true
        }
        if plain == true { return output.append(UInt8(ascii: "\"")) }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                output.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}
