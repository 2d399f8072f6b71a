/// Writes a JSON document a piece at a time, members in the order given: a large body without building its tree
/// first, with parts already serialised (`PushRecord.fieldsJSON`) put in as they are.
///
///     var body = JSONWriter()
///     body.beginObject()
///     body.key("records")
///     body.beginArray()
///     for record in records {
///         body.beginObject()
///         body.member("id", .string(record.key))
///         body.member("fields", raw: record.fieldsJSON)
///         body.endObject()
///     }
///     body.endArray()
///     body.endObject()
///     send(body.bytes)
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value goes first in its container or after a key (no comma before it).
    private var needsNoComma = true
    private var depth = 0

    public init(reservingCapacity capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Whether every object and array begun has ended.
    public var isComplete: Bool { depth == 0 && !bytes.isEmpty }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// The name of the object member whose value comes next.
    public mutating func key(_ name: String) {
        separate()
        JSON.writeString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsNoComma = true
    }

    public mutating func value(_ value: JSON) {
        separate()
        value.write(to: &bytes)
    }

    /// A value already serialised as JSON, written as it is: the caller vouches that it is one whole JSON value.
    public mutating func raw(_ json: some Collection<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
    }

    public mutating func member(_ name: String, _ value: JSON) {
        key(name)
        self.value(value)
    }

    public mutating func member(_ name: String, raw json: some Collection<UInt8>) {
        key(name)
        raw(json)
    }

    private mutating func separate() {
        if !needsNoComma { bytes.append(UInt8(ascii: ",")) }
        needsNoComma = false
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        depth += 1
        needsNoComma = true
    }

    private mutating func close(_ bracket: UInt8) {
        precondition(depth > 0, "JSONWriter: \(Character(Unicode.Scalar(bracket))) without its opening")
        bytes.append(bracket)
        depth -= 1
        needsNoComma = false
    }
}
