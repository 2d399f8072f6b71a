import PluginSDK

/// Runs a connector the way the host does, through its exported manifest and the C function table, but in this
/// process and against an `InMemoryHost`: no `.so`, no worker. The manifest is validated with the host's own
/// rules first, so a harness that starts is a manifest the host would accept.
///
///     let host = InMemoryHost { request in PluginHTTPResult(statusCode: 200, body: Array(#"{"ok":true}"#.utf8)) }
///     let harness = try ConnectorHarness(MyConnector.self, configuration: ["base_url": "https://x"], host: host)
///     let results = try harness.push([PushRecord(key: "a", fields: ["name": "web01"])])
public final class ConnectorHarness {
    public let host: InMemoryHost
    public let manifest: PluginManifest
    private let instance: PluginInstance

    public init<C: Connector>(_ type: C.Type, configuration: JSON = [:], host: InMemoryHost = InMemoryHost()) throws {
        let pointer = export(type)
        manifest = try ManifestReader.read(pointer)
        self.host = host
        instance = try PluginInstance(
            manifest: pointer, configuration: configuration.serializedBytes(), handler: host)
    }

    public func testConnection() throws(PluginFailure) -> JSON {
        try document(instance.call(.test))
    }

    public func schema() throws(PluginFailure) -> JSON {
        try document(instance.call(.schema))
    }

    /// Pushes records and returns one result per record, in the order the connector emitted them.
    public func push(_ records: [PushRecord]) throws(PluginFailure) -> [RecordResult] {
        let batch: JSON = ["records": .array(records.map(\.json))]
        let outcome = instance.call(.push, input: batch.serializedBytes())
        _ = try document(outcome)
        return outcome.results
    }

    /// Pushes a batch exactly as written, `{"records": [...]}`: for what a connector makes of bytes the host sends.
    public func push(batch: [UInt8]) throws(PluginFailure) -> [RecordResult] {
        let outcome = instance.call(.push, input: batch)
        _ = try document(outcome)
        return outcome.results
    }

    public func pull(checkpoint: String? = nil, pageSize: Int = 100) throws(PluginFailure) -> PullPage {
        let request: JSON = ["checkpoint": JSON(checkpoint), "page_size": JSON(pageSize)]
        let outcome = instance.call(.pull, input: request.serializedBytes())
        let result = try document(outcome)
        var records: [JSON] = []
        for bytes in outcome.records {
            guard let record = try? JSON.parse(bytes) else {
                throw PluginFailure(status: .internal, message: "the connector emitted a record that is not JSON")
            }
            records.append(record)
        }
        return PullPage(
            records: records, checkpoint: result["checkpoint"]?.stringValue,
            hasMore: result["has_more"]?.boolValue ?? false)
    }

    /// Pulls every page, following checkpoints, and returns all records.
    public func pullAll(pageSize: Int = 100, maximumPages: Int = 10_000) throws(PluginFailure) -> [JSON] {
        var records: [JSON] = []
        var checkpoint: String?
        for _ in 0..<maximumPages {
            let page = try pull(checkpoint: checkpoint, pageSize: pageSize)
            records += page.records
            checkpoint = page.checkpoint
            if !page.hasMore { return records }
        }
        throw PluginFailure(status: .internal, message: "still more pages after \(maximumPages)")
    }

    public func handle(_ event: ConnectorEvent) throws(PluginFailure) {
        var payload = event.payload.objectValue ?? [:]
        payload["type"] = .string(event.type)
        _ = try document(instance.call(.event, input: JSON.object(payload).serializedBytes()))
    }

    private func document(_ outcome: CallOutcome) throws(PluginFailure) -> JSON {
        guard outcome.status == .ok else { throw PluginFailure(status: outcome.status, output: outcome.output) }
        if outcome.output.isEmpty { return [:] }
        guard let json = try? JSON.parse(outcome.output) else {
            throw PluginFailure(status: .internal, message: "the connector's output is not JSON")
        }
        return json
    }
}
