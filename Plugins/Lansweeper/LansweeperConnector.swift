import PluginSDK

/// Pulls assets per site through Lansweeper's GraphQL Data API (cursor paging) and writes crypto status back onto
/// the matching asset's custom fields with `editAsset`.
final class LansweeperConnector: PushConnector, PullConnector, SchemaConnector {
    static let info = ConnectorInfo(
        id: "lansweeper", name: "Lansweeper", version: "1.0.0", vendor: "CryptoConnect",
        description:
            "Pulls assets per site as asset context and writes crypto status (protocol, certificate days left, "
            + "risk) onto the matching assets' custom fields.",
        configurationSchema: ConnectionSchema.schema(
            auth: [.apiKey, .bearer],
            properties: [
                "graphql_path": [
                    "type": "string",
                    "description":
                        "Path of the GraphQL endpoint (default /api/v2/graphql; some tenants use /api/integrations/graphql)",
                ],
                "site_ids": [
                    "type": "array", "items": ["type": "string"],
                    "description": "Sites to pull from and write to (default: every site the token is authorized for)",
                ],
                "asset_filter": [
                    "type": "object",
                    "description":
                        "assetResources filters for the pull, e.g. {\"conjunction\":\"AND\",\"conditions\":[{\"operator\":\"LIKE\",\"path\":\"assetBasicInfo.type\",\"value\":\"Linux\"}]}",
                ],
            ],
            // Lansweeper allows 150 requests a minute, and a request in a minute over the limit starts its lockout
            // over: 2.4 a second after a burst of 6 never goes past 150 in any minute.
            rateLimit: (requestsPerSecond: 2.4, burst: 6)),
        defaultMapping: DefaultMapping(
            hostname: "name", ipAddress: "ip_address", serialNumber: "serial_number", riskScore: "custom3",
            protocolAndVersion: "custom1", weakestCipher: "custom4", certificateExpiry: "custom2",
            certificateExpiryTransform: "date_to_days_remaining"
        ).json)

    /// Field paths a pull asks for, and the flat names its records carry (what the mapping reverses).
    static let pulledFields: [(path: String, name: String)] = [
        ("key", "key"), ("assetBasicInfo.name", "name"), ("assetBasicInfo.ipAddress", "ip_address"),
        ("assetBasicInfo.type", "type"), ("assetCustom.serialNumber", "serial_number"),
        ("assetCustom.manufacturer", "manufacturer"), ("assetCustom.model", "model"),
        ("operatingSystem.caption", "os"),
    ]
    /// Fields used to find the asset a record belongs to; they are never written.
    static let identityFields: Set<String> = ["name", "ip_address", "serial_number"]

    let host: ConnectorHost
    let path: String
    let configuredSites: [String]?
    let assetFilter: JSON?

    init(configuration: Configuration, host: ConnectorHost) throws {
        self.host = host
        path = configuration.string("graphql_path") ?? "/api/v2/graphql"
        guard path.hasPrefix("/") else {
            throw ConnectorError.config("configuration field `graphql_path` must start with /, got \"\(path)\"")
        }
        configuredSites = configuration.json["site_ids"]?.arrayValue?.compactMap(\.stringValue)
        if configuredSites?.isEmpty == true {
            throw ConnectorError.config("configuration field `site_ids` must list at least one site id, or be left out")
        }
        assetFilter = configuration.json["asset_filter"]
    }

    func testConnection() throws -> JSON {
        let authorized = try authorizedSites()
        let names = authorized.map(\.name)
        for site in configuredSites ?? [] where !authorized.contains(where: { $0.id == site }) {
            throw ConnectorError.auth(
                "the token is not authorized for site \(site) (authorized: \(names.joined(separator: ", ")))")
        }
        return [
            "message": .string("connected: \(authorized.count) authorized sites (\(names.joined(separator: ", ")))")
        ]
    }

    func schema() throws -> TargetSchema {
        let site = try sites()[0]
        let data = try graphQL(
            "{ site(id: \(Self.quote(site))) { customFields { name key type } } }", "reading custom fields")
        let custom = (data[path: "site.customFields"]?.arrayValue ?? []).compactMap {
            field -> (name: String, type: String)? in
            guard let key = field["key"]?.stringValue else { return nil }
            return (key, field["type"]?.stringValue?.lowercased() ?? "text")
        }
        return TargetSchema(tables: [
            .init(
                name: "asset",
                fields: [("name", "text"), ("ip_address", "text"), ("serial_number", "text"), ("description", "text")]
                    + custom)
        ])
    }

    /// The sites to work on: the configured ones, or all the token may read.
    func sites() throws -> [String] {
        if let configuredSites { return configuredSites }
        let authorized = try authorizedSites().map(\.id)
        guard !authorized.isEmpty else { throw ConnectorError.auth("the token is not authorized for any site") }
        return authorized
    }

    private func authorizedSites() throws -> [(id: String, name: String)] {
        let data = try graphQL("{ authorizedSites { sites { id name } } }", "listing authorized sites")
        return (data[path: "authorizedSites.sites"]?.arrayValue ?? []).compactMap { site in
            guard let id = site["id"]?.stringValue else { return nil }
            return (id, site["name"]?.stringValue ?? id)
        }
    }

    /// Sends one GraphQL document; transport, HTTP and GraphQL errors become connector errors naming the action.
    func graphQL(_ query: String, _ action: String) throws -> JSON {
        let (data, errors) = try graphQLAnswer(query, action)
        let messages = errors.compactMap { $0["message"]?.stringValue }
        if !messages.isEmpty { throw ConnectorError.data("\(action): \(messages.joined(separator: "; "))") }
        return data
    }

    /// The alias (`a3`) of the mutation field an error is about, from its `path`; nil for an error of the whole
    /// answer or of a field that is not one asset's (`["site"]`).
    static func alias(of error: JSON) -> String? {
        guard let last = error["path"]?.arrayValue?.last?.stringValue, last.first == "a",
            last.dropFirst().allSatisfy(\.isNumber), last.count > 1
        else { return nil }
        return last
    }

    /// What GraphQL errors mean when their `extensions.code` says: the service's trouble is tried again, refused
    /// credentials pause the integration; nil for the request's own faults (a refused value, a query it rejects).
    static func failure(of errors: [JSON], _ action: String) -> ConnectorError? {
        let codes = Set(errors.compactMap { $0[path: "extensions.code"]?.stringValue?.uppercased() })
        let said =
            "\(action): Lansweeper says: "
            + errors.compactMap { $0["message"]?.stringValue }.joined(separator: "; ")
        if codes.contains("UNAUTHENTICATED") { return .auth(said) }
        if !codes.isDisjoint(with: ["INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT", "GATEWAY_TIMEOUT"]) {
            return .server(said)
        }
        return nil
    }

    /// The data and the per-field errors of an answer (a mutation's aliases fail one by one).
    func graphQLAnswer(_ query: String, _ action: String) throws -> (data: JSON, errors: [JSON]) {
        let response = try host.send(.json("POST", path, ["query": .string(query)], idempotent: true))
        let body = try? JSON.parse(response.body)
        let errors = body?["errors"]?.arrayValue ?? []
        if var failure = response.failure(action) {
            let messages = errors.compactMap { $0["message"]?.stringValue }
            if !messages.isEmpty { failure.message += " — Lansweeper says: \(messages.joined(separator: "; "))" }
            throw failure
        }
        guard let body else {
            // The target's fault (a proxy's error page, a cut-off body), not the records': tried again.
            throw ConnectorError.server("\(action): the answer (HTTP \(response.statusCode)) is not JSON")
        }
        // Errors not about one asset, with HTTP 200 (of the whole answer, or of the site a query or mutation goes
        // through): the service's trouble, or refused credentials, are not the records' fault.
        if let failure = Self.failure(of: errors.filter { Self.alias(of: $0) == nil }, action) { throw failure }
        return (body["data"] ?? .null, errors)
    }

    /// A GraphQL string literal (its escapes are JSON's).
    static func quote(_ text: String) -> String { JSON.string(text).serialized() }
}

@_cdecl("cc_plugin_entry") public func pluginEntry() -> UnsafeRawPointer { export(LansweeperConnector.self) }
