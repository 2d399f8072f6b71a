import PluginSDK

/// Pulls devices (with their IP addresses) from Device42 and writes crypto fields onto them as device custom
/// fields, one `bulk_fields` request per device.
final class Device42Connector: PushConnector, PullConnector, SchemaConnector {
    static let info = ConnectorInfo(
        id: "device42", name: "Device42", version: "1.0.0", vendor: "CryptoConnect",
        description:
            "Pulls devices and their IP addresses as asset context and writes crypto posture onto them as device "
            + "custom fields.",
        configurationSchema: ConnectionSchema.schema(auth: [.basic]),
        defaultMapping: DefaultMapping(
            hostname: "name", ipAddress: "ip_address", serialNumber: "serial_no", riskScore: "crypto_risk_score",
            protocolAndVersion: "crypto_protocol", weakestCipher: "crypto_weakest_cipher", keySize: "crypto_key_size",
            certificateExpiry: "crypto_cert_expiry"
        ).json)

    /// Fields that pick the device; every other mapped field becomes a custom field.
    static let identityFields: Set<String> = ["name", "serial_no", "device_id", "ip_address"]
    static let deviceColumns = [
        "device_id", "name", "serial_no", "ip_address", "type", "os", "manufacturer", "hw_model",
    ]

    let host: ConnectorHost

    init(configuration: Configuration, host: ConnectorHost) throws { self.host = host }

    func testConnection() throws -> JSON {
        let page = try devices(offset: 0, limit: 1, action: "listing devices")
        return ["message": .string("connected: \(page["total_count"]?.intValue ?? 0) devices")]
    }

    /// The custom fields the default mapping writes; Device42 creates a custom field on its first write.
    static let cryptoFields = [
        "crypto_risk_score", "crypto_protocol", "crypto_weakest_cipher", "crypto_key_size", "crypto_cert_expiry",
    ]

    /// Device columns, the custom fields already defined on the first devices, and the crypto fields.
    func schema() throws -> TargetSchema {
        let page = try devices(offset: 0, limit: 100, action: "reading devices for their custom fields")
        var custom = Set(Self.cryptoFields)
        for device in page["Devices"]?.arrayValue ?? [] {
            for field in device["custom_fields"]?.arrayValue ?? [] {
                if let key = field["key"]?.stringValue { custom.insert(key) }
            }
        }
        return TargetSchema(tables: [
            .init(
                name: "device",
                fields: Self.deviceColumns.map { ($0, "text") } + custom.sorted().map { ($0, "custom_field") })
        ])
    }

    func pull(_ request: PullRequest) throws -> PullPage {
        let offset = Int(request.checkpoint ?? "0") ?? 0
        let page = try devices(offset: offset, limit: min(max(request.pageSize, 1), 1000), action: "listing devices")
        let devices = page["Devices"]?.arrayValue ?? []
        let records: [JSON] = devices.map { device in
            var fields: [String: JSON] = [:]
            for column in Self.deviceColumns where column != "ip_address" { fields[column] = device[column] ?? .null }
            fields["ip_address"] = device["ip_addresses"]?.arrayValue?.first?["ip"] ?? .null
            fields["ip_addresses"] = .array((device["ip_addresses"]?.arrayValue ?? []).compactMap { $0["ip"] })
            return [
                "key": .string(device["device_id"].map { $0.stringValue ?? $0.serialized() } ?? ""),
                "fields": .object(fields),
            ]
        }
        let next = offset + devices.count
        return PullPage(
            records: records, checkpoint: String(next),
            hasMore: !devices.isEmpty && next < (page["total_count"]?.intValue ?? 0))
    }

    func devices(offset: Int, limit: Int, action: String) throws -> JSON {
        let response = try host.send(.get("/api/1.0/devices/all/?limit=\(limit)&offset=\(offset)"))
        if let failure = Device42Error.failure(response, action) { throw failure }
        return try response.json("the device list")
    }
}

/// Device42 answers `{"msg": …, "code": …}`; a non-zero code is a failure even under HTTP 200.
enum Device42Error {
    static func failure(_ response: HTTPResponse, _ action: String) -> ConnectorError? {
        let body = try? JSON.parse(response.body)
        let message = body?["msg"].map { $0.stringValue ?? $0.serialized() }
        // A user without the rights is refused with HTTP 500 (the reference's own example): credentials to fix,
        // which pause the integration, not an outage to wait out.
        if response.statusCode == 500, let message, message.lowercased().contains("have permission") {
            return .auth("\(action): Device42 says: \(message)")
        }
        if var failure = response.failure(action) {
            if let message { failure.message += " — Device42 says: \(message)" }
            return failure
        }
        let code = body?["code"].flatMap { $0.intValue ?? $0.stringValue.flatMap { Int($0) } } ?? 0
        guard code != 0 else { return nil }
        let text = "\(action): Device42 answered code \(code): \(message ?? "no message")"
        return message?.lowercased().contains("not found") == true ? .notFound(text) : .data(text)
    }
}

@_cdecl("cc_plugin_entry") public func pluginEntry() -> UnsafeRawPointer { export(Device42Connector.self) }
