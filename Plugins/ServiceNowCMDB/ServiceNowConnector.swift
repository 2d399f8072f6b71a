import PluginSDK

/// Pushes crypto context onto ServiceNow configuration items through Identification and Reconciliation (so a CI is
/// matched, never duplicated) and pulls CIs through the Table API for asset context.
final class ServiceNowConnector: PushConnector, PullConnector, SchemaConnector {
    static let info = ConnectorInfo(
        id: "servicenow-cmdb", name: "ServiceNow CMDB", version: "1.0.0", vendor: "CryptoConnect",
        description:
            "Writes crypto posture (risk, protocol, weakest cipher, key size, certificate expiry) onto CMDB CIs "
            + "through IRE and pulls CIs as asset context.",
        configurationSchema: ConnectionSchema.schema(
            auth: [.basic, .oauth2Password],
            properties: [
                "data_source": [
                    "type": "string",
                    "description": "IRE sysparm_data_source: a discovery_source choice (default CryptoConnect)",
                ],
                "source_name": [
                    "type": "string",
                    "description":
                        "sys_object_source_info.source_name that links CIs to inventory keys (default CryptoConnect)",
                ],
                "class_name": [
                    "type": "string",
                    "description": "CI class to write when the mapping names none (default cmdb_ci_server)",
                ],
                "pull_table": ["type": "string", "description": "Table to pull CIs from (default cmdb_ci_server)"],
                "pull_query": [
                    "type": "string", "description": "Encoded query for the pull (default operational_status=1)",
                ],
                "pull_fields": [
                    "type": "array", "items": ["type": "string"],
                    "description":
                        "Columns to pull (default sys_id, name, fqdn, ip_address, serial_number, os, environment, sys_class_name)",
                ],
            ]),
        defaultMapping: DefaultMapping(
            // No table: the configured `class_name` (default cmdb_ci_server) is the class new CIs get.
            hostname: "fqdn", ipAddress: "ip_address", serialNumber: "serial_number",
            riskScore: "u_crypto_risk_score", protocolAndVersion: "u_crypto_protocol",
            weakestCipher: "u_crypto_weakest_cipher", keySize: "u_crypto_key_size",
            certificateExpiry: "u_crypto_certificate_expiry"
        ).json)

    static let defaultPullFields = [
        "sys_id", "name", "fqdn", "ip_address", "serial_number", "os", "environment", "sys_class_name",
    ]
    /// Columns a deletion clears: a CI's lifecycle belongs to the CMDB, so the connector never deletes one.
    static let cryptoColumns = [
        "u_crypto_risk_score", "u_crypto_protocol", "u_crypto_weakest_cipher", "u_crypto_key_size",
        "u_crypto_certificate_expiry",
    ]

    let host: ConnectorHost
    let dataSource: String
    let sourceName: String
    let className: String
    let pullTable: String
    let pullQuery: String
    let pullFields: [String]

    init(configuration: Configuration, host: ConnectorHost) throws {
        self.host = host
        dataSource = configuration.string("data_source") ?? "CryptoConnect"
        sourceName = configuration.string("source_name") ?? "CryptoConnect"
        className = configuration.string("class_name") ?? "cmdb_ci_server"
        pullTable = configuration.string("pull_table") ?? "cmdb_ci_server"
        pullQuery = configuration.string("pull_query") ?? "operational_status=1"
        pullFields = configuration.json["pull_fields"]?.arrayValue?.compactMap(\.stringValue) ?? Self.defaultPullFields
        for (name, value) in [("class_name", className), ("pull_table", pullTable)]
        where !value.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) {
            throw ConnectorError.config(
                "configuration field `\(name)` must be a table name like cmdb_ci_server, got \"\(value)\"")
        }
    }

    func testConnection() throws -> JSON {
        let response = try host.send(.get("/api/now/v2/table/\(pullTable)?sysparm_limit=1&sysparm_fields=sys_id"))
        if let failure = ServiceNowError.failure(response, "reading \(pullTable)") { throw failure }
        let total = response.header("X-Total-Count") ?? "?"
        return ["message": .string("connected: \(total) CIs in \(pullTable)")]
    }

    func schema() throws -> TargetSchema {
        let query = "name=\(className)^ORDERBYelement"
        let response = try host.send(
            .get(
                "/api/now/v2/table/sys_dictionary?sysparm_query=\(PercentEncoding.encode(query))&sysparm_fields=element,internal_type"
            ))
        if let failure = ServiceNowError.failure(response, "reading the dictionary of \(className)") { throw failure }
        let rows = try response.json("the sys_dictionary answer")["result"]?.arrayValue ?? []
        let fields = rows.compactMap { row -> (name: String, type: String)? in
            guard let element = row["element"]?.stringValue, !element.isEmpty else { return nil }
            return (element, row["internal_type"]?.stringValue ?? "string")
        }
        return TargetSchema(tables: [.init(name: className, fields: fields)])
    }
}

@_cdecl("cc_plugin_entry") public func pluginEntry() -> UnsafeRawPointer { export(ServiceNowConnector.self) }
