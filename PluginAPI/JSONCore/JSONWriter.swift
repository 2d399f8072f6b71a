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
///
/// A container closed as the other kind, a key outside an object, a member without its key or value, or a second
/// document after the first is a programming error and stops the process.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value goes first in its container or after a key (no comma before it).
    private var needsNoComma = true
    /// The containers begun and not yet ended, innermost last: whether each is an object.
    private var open: [Bool] = []
    /// Whether a key was written and its value not yet.
    private var hasKey = false

    public init(reservingCapacity capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Whether every object and array begun has ended.
    public var isComplete: Bool { open.isEmpty && !bytes.isEmpty }

    public mutating func beginObject() { begin(UInt8(ascii: "{"), isObject: true) }
    public mutating func endObject() { end(UInt8(ascii: "}"), isObject: true) }
    public mutating func beginArray() { begin(UInt8(ascii: "["), isObject: false) }
    public mutating func endArray() { end(UInt8(ascii: "]"), isObject: false) }

    /// The name of the object member whose value comes next.
    public mutating func key(_ name: String) {
        precondition(open.last == true && !hasKey, "JSONWriter: a key outside an object, or after another key")
        separate()
        JSON.writeString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsNoComma = true
        hasKey = true
    }

    public mutating func value(_ value: JSON) {
        startValue()
        value.write(to: &bytes)
    }

    /// A value already serialised as JSON, written as it is: the caller vouches that it is one whole JSON value.
    public mutating func raw(_ json: some Collection<UInt8>) {
        precondition(!json.isEmpty, "JSONWriter: an empty raw value")
        startValue()
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

    /// Before a key or a value: the comma, if one is due.
    private mutating func separate() {
        if !needsNoComma { bytes.append(UInt8(ascii: ",")) }
        needsNoComma = false
    }

    /// Before a value: in an object, it must have its key.
    private mutating func startValue() {
        precondition(open.last != true || hasKey, "JSONWriter: a value in an object without its key")
        precondition(!open.isEmpty || bytes.isEmpty, "JSONWriter: a second document after the first")
        hasKey = false
        separate()
    }

    private mutating func begin(_ bracket: UInt8, isObject: Bool) {
        startValue()
        bytes.append(bracket)
        open.append(isObject)
        needsNoComma = true
    }

    private mutating func end(_ bracket: UInt8, isObject: Bool) {
        precondition(!hasKey, "JSONWriter: a key without its value")
        precondition(
            open.popLast() == isObject, "JSONWriter: \(Character(Unicode.Scalar(bracket))) without its opening")
        bytes.append(bracket)
        needsNoComma = false
    }
}
