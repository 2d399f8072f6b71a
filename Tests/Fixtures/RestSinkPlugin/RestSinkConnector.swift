import PluginSDK

/// A connector for a simple REST "record sink" (Tests/TestSupport/RecordSinkServer.swift): it upserts records by
/// correlation id in batches and lists assets with offset paging. The engine's tests and end-to-end benchmark push
/// through it; it is built with the SDK exactly as a partner's connector would be.
final class RestSinkConnector: PushConnector, PullConnector {
    static let info = ConnectorInfo(
        id: "fixture-rest-sink", name: "REST record sink (test fixture)", version: "1.0.0",
        vendor: "CryptoConnect tests",
        description: "Upserts records by correlation id into a REST sink and lists its assets.",
        configurationSchema: ConnectionSchema.schema(
            auth: [.none, .apiKey, .basic, .bearer],
            properties: ["path": ["type": "string", "description": "Collection path, default /records"]]),
        defaultMapping: [
            ["source_field": "asset.hostname", "target_field": "name"],
            ["source_field": "asset.ip_address", "target_field": "ip_address"],
            ["source_field": "asset.serial_number", "target_field": "serial_number"],
            ["source_field": "asset.environment", "target_field": "environment"],
            ["source_field": "crypto_implementation.protocol", "target_field": "protocol"],
            ["source_field": "crypto_implementation.cipher_suite", "target_field": "cipher_suite"],
            ["source_field": "crypto_implementation.risk_score", "target_field": "risk", "transform": "scale_to_100"],
        ])

    let host: ConnectorHost
    let path: String

    init(configuration: Configuration, host: ConnectorHost) throws {
        self.host = host
        path = configuration.string("path") ?? "/records"
    }

    func testConnection() throws -> JSON {
        let response = try host.send(.get(path + "?limit=1"))
        if let failure = response.failure("listing \(path)") { throw failure }
        return ["message": "the sink answered"]
    }

    func push(_ records: [PushRecord]) throws -> [RecordResult] {
        // The fields go as the host mapped them: written as they came, never built.
        var body = JSONWriter(reservingCapacity: records.count * 320)
        body.beginObject()
        body.key("records")
        body.beginArray()
        for record in records {
            body.beginObject()
            body.member("correlation_id", .string(record.key))
            body.member("fields", raw: record.fieldsJSON)
            body.member("table", JSON(record.table))
            body.endObject()
        }
        body.endArray()
        body.endObject()
        // Upserts by correlation id: safe to repeat, so the host may retry it.
        let response = try host.send(.json("POST", path, body: body.bytes, idempotent: true))
        if let failure = response.failure("upserting \(records.count) records") { throw failure }
        let answer = try response.json("the sink's answer")
        return (answer["results"]?.arrayValue ?? []).compactMap { item in
            guard let key = item["correlation_id"]?.stringValue else { return nil }
            switch item["status"]?.stringValue {
            case "created": return .created(key, externalID: item["id"]?.stringValue)
            case "updated": return .updated(key, externalID: item["id"]?.stringValue)
            case "throttled":
                return .failed(
                    key, .rateLimited(item["message"]?.stringValue ?? "throttled", retryAfterMilliseconds: 1000))
            default: return .failed(key, .data(item["message"]?.stringValue ?? "rejected"))
            }
        }
    }

    func pull(_ request: PullRequest) throws -> PullPage {
        let offset = Int(request.checkpoint ?? "0") ?? 0
        let response = try host.send(.get("\(path)/assets?offset=\(offset)&limit=\(request.pageSize)"))
        if let failure = response.failure("listing assets") { throw failure }
        let answer = try response.json("the asset list")
        let items = answer["assets"]?.arrayValue ?? []
        let next = offset + items.count
        return PullPage(
            records: items.map { ["key": $0["id"] ?? .null, "fields": $0] }, checkpoint: String(next),
            hasMore: next < (answer["total"]?.intValue ?? 0))
    }
}

@_cdecl("cc_plugin_entry") public func pluginEntry() -> UnsafeRawPointer { export(RestSinkConnector.self) }
