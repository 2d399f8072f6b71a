import Foundation
import JSONCore
import LoopbackHTTP

/// Lansweeper's Data API: GraphQL over `POST /api/v2/graphql` (and `/api/integrations/graphql`), `Token` personal
/// access tokens scoped to authorized sites, `assetResources` with field projection, filters and FIRST/NEXT cursor
/// paging, and `editAsset` mutations. Errors are GraphQL errors.
final class LansweeperSimulator: VendorSimulator, @unchecked Sendable {
    let name = "lansweeper"
    static let token = "sandbox-lansweeper-pat"
    /// An OAuth app's access token, as Lansweeper issues it to an integration app.
    static let oauthToken = "sandbox-lansweeper-oauth-access-token"
    static let paths: Set<String> = ["/api/v2/graphql", "/api/integrations/graphql"]
    static let maximumFieldPaths = 30
    static let maximumConditions = 100

    let lock = NSLock()
    /// Assets per site id, in a stable order.
    var assets: [String: [JSON]] = [:]
    let sites: [(id: String, name: String)]
    let authorizedSites: Set<String>

    init(estate: SampleEstate) {
        sites = SampleEstate.sites + [SampleEstate.forbiddenSite]
        authorizedSites = Set(SampleEstate.sites.map(\.id))
        var counters: [Int] = [0, 0]
        func key(_ site: Int) -> String {
            counters[site] += 1
            return Data("\(SampleEstate.sites[site].id)-Asset-\(counters[site])".utf8).base64EncodedString()
        }
        for host in estate.hosts {
            let type: String
            switch host.kind {
            case .linuxServer: type = "Linux"
            case .windowsServer: type = "Windows"
            case .loadBalancer: type = "Load balancer"
            case .networkDevice: type = host.name.hasPrefix("fw") ? "Firewall" : "Switch"
            }
            assets[SampleEstate.sites[host.site].id, default: []].append(
                Self.asset(
                    key: key(host.site), name: host.name, type: type, ip: host.ipAddress, serial: host.serialNumber,
                    manufacturer: host.manufacturer, model: host.model, os: host.os))
        }
        for other in estate.others {
            assets[SampleEstate.sites[other.site].id, default: []].append(
                Self.asset(
                    key: key(other.site), name: other.name, type: other.type, ip: other.ipAddress,
                    serial: other.serialNumber, manufacturer: other.type == "Printer" ? "HP" : "Lenovo",
                    model: other.type == "Printer" ? "LaserJet M507" : "ThinkPad T14",
                    os: other.type == "Printer" ? "" : "Windows 11 Enterprise"))
        }
        assets[SampleEstate.forbiddenSite.id] = []
    }

    private static func asset(
        key: String, name: String, type: String, ip: String, serial: String, manufacturer: String, model: String,
        os: String
    ) -> JSON {
        [
            "key": .string(key),
            "assetBasicInfo": [
                "name": .string(name), "type": .string(type), "ipAddress": .string(ip), "domain": "CORP",
                "description": "", "firstSeen": "2025-03-02T09:14:00.000Z", "lastSeen": "2026-11-25T06:00:00.000Z",
            ],
            "assetCustom": [
                "serialNumber": .string(serial), "manufacturer": .string(manufacturer), "model": .string(model),
            ],
            "operatingSystem": ["caption": .string(os)],
        ]
    }

    var credentials: JSON {
        [
            "auth": ["type": "api_key", "header": "Authorization", "prefix": "Token", "key": .string(Self.token)],
            "site_ids": JSON(SampleEstate.sites.map(\.id)),
            // The connector keeps to Lansweeper's 150 requests a minute by default; the simulator limits only when a
            // fault says so, and a sandbox integration need not wait.
            "rate_limit": ["requests_per_second": 200, "burst": 50],
        ]
    }

    func serves(_ path: String) -> Bool { Self.paths.contains(path) }

    func mutates(_ request: HTTPServerRequest) -> Bool { request.bodyText.contains("mutation") }

    /// A personal access token (`Token …`) or an OAuth app's access token (`Bearer …`).
    func isAuthorized(_ request: HTTPServerRequest) -> Bool {
        ["Token \(Self.token)", "Bearer \(Self.oauthToken)"].contains(request.header("Authorization"))
    }

    var unauthenticatedMessage: String { "Unauthorized: the access token is missing, invalid or expired" }

    func failure(status: Int, message: String) -> HTTPServerResponse {
        let code: String
        switch status {
        case 401: code = "UNAUTHENTICATED"
        case 403: code = "FORBIDDEN"
        case 429: code = "TOO_MANY_REQUESTS"
        case 400: code = "GRAPHQL_VALIDATION_FAILED"
        default: code = "INTERNAL_SERVER_ERROR"
        }
        return .json(status, ["errors": [["message": .string(message), "extensions": ["code": .string(code)]]]])
    }

    func respond(to request: HTTPServerRequest) -> HTTPServerResponse {
        guard request.method == "POST" else { return failure(status: 405, message: "GraphQL requests must be POSTed") }
        guard let body = request.jsonBody, let text = body["query"]?.stringValue else {
            return failure(status: 400, message: "POST body must be JSON with a \"query\" string")
        }
        let operation: GraphQLOperation
        do { operation = try GraphQLParser.parse(text, operationName: body["operationName"]?.stringValue) } catch {
            var entry: [String: JSON] = [
                "message": .string(error.message), "extensions": ["code": "GRAPHQL_PARSE_FAILED"],
            ]
            if let location = error.location {
                entry["locations"] = [["line": JSON(location.line), "column": JSON(location.column)]]
            }
            return .json(400, ["errors": [.object(entry)]])
        }
        var variables = operation.defaults
        for (key, value) in body["variables"]?.objectValue ?? [:] { variables[key] = value }
        var execution = Execution(simulator: self, variables: variables, mutation: operation.kind == .mutation)
        let data = execution.run(operation.selections)
        if let status = execution.status {
            return .json(status, ["errors": .array(execution.errors), "data": data])
        }
        var document: [String: JSON] = ["data": data]
        if !execution.errors.isEmpty { document["errors"] = .array(execution.errors) }
        return .json(200, .object(document))
    }

    func snapshot() -> JSON { lock.withLock { ["assets": .object(assets.mapValues(JSON.array))] } }

    func restore(_ state: JSON) {
        lock.withLock {
            for (site, list) in state["assets"]?.objectValue ?? [:] { assets[site] = list.arrayValue ?? [] }
        }
    }
}
