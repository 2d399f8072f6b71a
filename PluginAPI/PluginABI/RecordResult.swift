/// The outcome of one pushed record, as a plugin reported it through `emit_result`.
public struct RecordResult: Sendable, Equatable {
    public var key: String
    public var status: PluginStatus
    public var externalID: String?
    /// "created", "updated", "unchanged" or "deleted".
    public var action: String?
    public var message: String?
    public var retryAfterMilliseconds: UInt32

    public init(
        key: String, status: PluginStatus, externalID: String? = nil, action: String? = nil, message: String? = nil,
        retryAfterMilliseconds: UInt32 = 0
    ) {
        self.key = key
        self.status = status
        self.externalID = externalID
        self.action = action
        self.message = message
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }
}

/// Everything one call into a plugin produced: its status, its output document (the result on success, the error
/// otherwise), and what it emitted along the way.
public struct CallOutcome: Sendable {
    public var status: PluginStatus
    public var output: [UInt8]
    public var results: [RecordResult]
    public var records: [[UInt8]]

    public init(status: PluginStatus, output: [UInt8], results: [RecordResult] = [], records: [[UInt8]] = []) {
        self.status = status
        self.output = output
        self.results = results
        self.records = records
    }
}
