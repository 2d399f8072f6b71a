import JSONCore

/// A failed call as the ABI carries it: a status and the `{"message", "retry_after_ms"}` document a plugin writes
/// to `out` (plain text is taken as the message).
public struct PluginFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: PluginStatus
    public var message: String
    public var retryAfterMilliseconds: UInt32

    public init(status: PluginStatus, message: String, retryAfterMilliseconds: UInt32 = 0) {
        self.status = status
        self.message = message
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public init(status: PluginStatus, output: [UInt8]) {
        if let document = try? JSON.parse(output), let message = document["message"]?.stringValue {
            let retryAfter = document["retry_after_ms"]?.intValue ?? 0
            self.init(status: status, message: message, retryAfterMilliseconds: UInt32(clamping: retryAfter))
        } else {
            let text = String(decoding: output, as: UTF8.self)
            self.init(status: status, message: text.isEmpty ? "the plugin gave no message" : text)
        }
    }

    /// The document a plugin writes for this failure.
    public var document: JSON {
        var fields: [String: JSON] = ["message": .string(message)]
        if retryAfterMilliseconds > 0 { fields["retry_after_ms"] = .integer(Int64(retryAfterMilliseconds)) }
        return .object(fields)
    }

    public var description: String { "\(status.name): \(message)" }
}
