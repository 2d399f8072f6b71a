/// An error a connector throws; its status tells the host what to do next (retry, dead-letter, pause).
public struct ConnectorError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: PluginStatus
    public var message: String
    public var retryAfterMilliseconds: UInt32

    public init(_ status: PluginStatus, _ message: String, retryAfterMilliseconds: UInt32 = 0) {
        self.status = status
        self.message = message
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public static func config(_ message: String) -> ConnectorError { ConnectorError(.config, message) }
    public static func auth(_ message: String) -> ConnectorError { ConnectorError(.auth, message) }
    public static func data(_ message: String) -> ConnectorError { ConnectorError(.data, message) }
    public static func conflict(_ message: String) -> ConnectorError { ConnectorError(.conflict, message) }
    public static func server(_ message: String) -> ConnectorError { ConnectorError(.server, message) }
    public static func notFound(_ message: String) -> ConnectorError { ConnectorError(.notFound, message) }
    public static func unsupported(_ message: String) -> ConnectorError { ConnectorError(.unsupported, message) }
    public static func `internal`(_ message: String) -> ConnectorError { ConnectorError(.internal, message) }
    public static func rateLimited(_ message: String, retryAfterMilliseconds: UInt32 = 0) -> ConnectorError {
        ConnectorError(.rateLimited, message, retryAfterMilliseconds: retryAfterMilliseconds)
    }

    public var description: String { "\(status.name): \(message)" }

    var failure: PluginFailure {
        PluginFailure(status: status, message: message, retryAfterMilliseconds: retryAfterMilliseconds)
    }
}

extension RecordResult {
    public static func created(_ key: String, externalID: String?) -> RecordResult {
        RecordResult(key: key, status: .ok, externalID: externalID, action: "created")
    }

    public static func updated(_ key: String, externalID: String?) -> RecordResult {
        RecordResult(key: key, status: .ok, externalID: externalID, action: "updated")
    }

    public static func unchanged(_ key: String, externalID: String?) -> RecordResult {
        RecordResult(key: key, status: .ok, externalID: externalID, action: "unchanged")
    }

    public static func deleted(_ key: String, externalID: String?) -> RecordResult {
        RecordResult(key: key, status: .ok, externalID: externalID, action: "deleted")
    }

    public static func failed(_ key: String, _ error: ConnectorError) -> RecordResult {
        RecordResult(
            key: key, status: error.status == .ok ? .internal : error.status, message: error.message,
            retryAfterMilliseconds: error.retryAfterMilliseconds)
    }
}
