import Foundation
import JSONCore
import Sandbox
import Testing

/// Lansweeper's GraphQL Data API and Device42's REST API, as their connectors and partners see them.
@Suite struct LansweeperDevice42SimulatorTests {
    let sandbox: Sandbox
    let client: SandboxClient

    init() throws {
        sandbox = try Sandbox(port: 0, estate: SampleEstate(hosts: 40))
        client = SandboxClient(sandbox: sandbox)
    }

    var site: String { SampleEstate.sites[0].id }

    @Test func lansweeperCursorPagingVisitsEveryAssetOnce() throws {
        func page(_ pagination: String, total: Bool = false) -> JSON {
            client.graphQL(
                "{ site(id: \"\(site)\") { assetResources(assetPagination: \(pagination), "
                    + "fields: [\"key\", \"assetBasicInfo.name\"]) { \(total ? "total " : "")pagination { next } items } } }"
            ).json
        }
        let first = page("{limit: 7, page: FIRST}", total: true)[path: "data.site.assetResources"] ?? .null
        let total = try #require(first["total"]?.intValue)
        var keys = first["items"]!.arrayValue!.map { $0["key"]!.stringValue! }
        var cursor = first["pagination"]?["next"]?.stringValue
        while let next = cursor {
            let following = page("{limit: 7, page: NEXT, cursor: \"\(next)\"}")[path: "data.site.assetResources"]
            keys += following?["items"]?.arrayValue?.compactMap { $0["key"]?.stringValue } ?? []
            cursor = following?["pagination"]?["next"]?.stringValue
        }
        #expect(total > 7)
        #expect(keys.count == total)
        #expect(Set(keys).count == total)

        // Lansweeper counts on the first page only, and refuses a count asked for with any other.
        let second = try #require(first["pagination"]?["next"]?.stringValue)
        let counted = page("{limit: 7, page: NEXT, cursor: \"\(second)\"}", total: true)
        #expect(
            counted["errors"]?[0]?["message"]
                == "If the total parameter is specified, you cannot use the PREV, NEXT, or LAST pagination fields")
    }

    /// Lansweeper takes a personal access token (`Token`) or an OAuth app's (`Bearer`), and refuses others in its
    /// own words, as a GraphQL error (the simulator used to refuse Bearer, and to answer in ServiceNow's words).
    @Test func lansweeperTakesBothKindsOfTokenAndRefusesOthersInItsOwnWords() throws {
        let body = JSON(["query": "{ authorizedSites { sites { id } } }"]).serialized()
        func answer(_ authorization: String) -> SandboxClient.Answer {
            client.send("POST", "/api/v2/graphql", body: body, headers: [("Authorization", authorization)])
        }
        #expect(answer("Token sandbox-lansweeper-pat").status == 200)
        #expect(answer("Bearer sandbox-lansweeper-oauth-access-token").status == 200)
        let refused = answer("Bearer wrong-token")
        #expect(refused.status == 401)
        #expect(refused.json["errors"]?[0]?["extensions"]?["code"] == "UNAUTHENTICATED")
        #expect(refused.text.contains("access token is missing, invalid or expired"))
        #expect(!refused.text.contains("User Not Authenticated"))
    }

    /// Filters as the connector's lookups send them: OR of EQUAL conditions (case-insensitive) mixed with other
    /// operators; under AND every condition must hold.
    @Test func lansweeperFiltersMatchLikeTheRealAPI() throws {
        func keys(_ filters: String) throws -> Set<String> {
            let items = try #require(
                client.graphQL(
                    "{ site(id: \"\(site)\") { assetResources(assetPagination: {limit: 500, page: FIRST}, "
                        + "fields: [\"key\", \"assetBasicInfo.name\", \"assetBasicInfo.ipAddress\"]"
                        + (filters.isEmpty ? "" : ", filters: \(filters)") + ") { items } } }"
                ).json["data"]?["site"]?["assetResources"]?["items"]?.arrayValue)
            return Set(items.compactMap { $0["key"]?.stringValue })
        }
        let all = try #require(
            client.graphQL(
                "{ site(id: \"\(site)\") { assetResources(assetPagination: {limit: 500, page: FIRST}, "
                    + "fields: [\"key\", \"assetBasicInfo.name\", \"assetBasicInfo.ipAddress\"]) { items } } }"
            ).json["data"]?["site"]?["assetResources"]?["items"]?.arrayValue)
        let (first, second) = (all[0], all[1])
        let name = try #require(first["assetBasicInfo"]?["name"]?.stringValue)
        let ip = try #require(second["assetBasicInfo"]?["ipAddress"]?.stringValue)
        let either = try keys(
            "{conjunction: OR, conditions: ["
                + "{operator: EQUAL, path: \"assetBasicInfo.name\", value: \"\(name.uppercased())\"}, "
                + "{operator: EQUAL, path: \"assetBasicInfo.ipAddress\", value: \"\(ip)\"}, "
                + "{operator: EQUAL, path: \"assetBasicInfo.name\", value: \"no-such-host\"}, "
                + "{operator: LIKE, path: \"assetBasicInfo.name\", value: \"no-such\"}]}")
        #expect(either == [first["key"]!.stringValue!, second["key"]!.stringValue!])
        let both = try keys(
            "{conjunction: AND, conditions: ["
                + "{operator: EQUAL, path: \"assetBasicInfo.name\", value: \"\(name)\"}, "
                + "{operator: EQUAL, path: \"assetBasicInfo.ipAddress\", value: \"\(ip)\"}]}")
        #expect(both.isEmpty)
        #expect(try keys("").count == all.count)
    }

    @Test func lansweeperRefusesWhatTheRealAPIRefuses() {
        let tooMany = client.graphQL(
            "{ site(id: \"\(site)\") { assetResources(assetPagination: {limit: 501, page: FIRST}, fields: [\"key\"]) "
                + "{ items } } }")
        #expect(tooMany.json["errors"]?[0]?["message"]?.stringValue?.contains("between 1 and 500") == true)

        let forbidden = client.graphQL("{ site(id: \"\(SampleEstate.forbiddenSite.id)\") { name } }")
        #expect(forbidden.json["errors"]?[0]?["message"]?.stringValue == "You don't have access to this site")
        #expect(forbidden.json["data"]?["site"] == .null)

        let badOperator = client.graphQL(
            "{ site(id: \"\(site)\") { assetResources(assetPagination: {limit: 5, page: FIRST}, fields: [\"key\"], "
                + "filters: {conjunction: AND, conditions: [{operator: CONTAINS, path: \"assetBasicInfo.name\", "
                + "value: \"web\"}]}) { items } } }")
        #expect(
            badOperator.json["errors"]?[0]?["message"]?.stringValue?.contains("\"CONTAINS\" does not exist") == true)

        let fragment = client.graphQL("{ site(id: \"\(site)\") { ...siteFields } }")
        #expect(fragment.json["errors"]?[0]?["message"]?.stringValue?.contains("fragments are not supported") == true)

        let anonymous = client.send(
            "POST", "/api/v2/graphql", body: #"{"query":"{ authorizedSites { sites { id } } }"}"#)
        #expect(anonymous.status == 401)
    }

    @Test func lansweeperEditAssetFailsPerAlias() throws {
        let key = try #require(
            client.graphQL(
                "{ site(id: \"\(site)\") { assetResources(assetPagination: {limit: 1, page: FIRST}, fields: [\"key\"]) "
                    + "{ items } } }"
            ).json["data"]?["site"]?["assetResources"]?["items"]?[0]?["key"]?.stringValue)
        let answer = client.graphQL(
            "mutation { site(id: \"\(site)\") { ok: editAsset(key: \"\(key)\", fields: {assetCustom: "
                + "{custom3: {value: \"80\"}}}) { key } missing: editAsset(key: \"no-such-asset\", fields: "
                + "{assetCustom: {custom3: {value: \"80\"}}}) { key } } }")
        #expect(answer.json["data"]?["site"]?["ok"]?["key"]?.stringValue == key)
        let error = try #require(answer.json["errors"]?[0])
        #expect(error["path"] == ["site", "missing"])
        #expect(error["message"]?.stringValue?.contains("was not found") == true)
        #expect(sandbox.records(in: "lansweeper").filter { $0.cryptoContext["custom3"] == "80" }.count == 1)
    }

    @Test func device42PagesWithTotalCountAndReportsUnknownDevicesInItsBody() throws {
        let first = client.send("GET", "/api/1.0/devices/all/?limit=10&offset=0", as: "device42")
        let total = try #require(first.json["total_count"]?.intValue)
        #expect(first.json["Devices"]?.arrayValue?.count == 10)
        let last = client.send("GET", "/api/1.0/devices/all/?limit=10&offset=\(total - 3)", as: "device42")
        #expect(last.json["Devices"]?.arrayValue?.count == 3)
        #expect(first.json["Devices"]?[0]?["ip_addresses"]?[0]?["ip"]?.stringValue?.hasPrefix("10.") == true)

        let name = first.json["Devices"]![0]!["name"]!.stringValue!
        let written = client.send(
            "PUT", "/api/1.0/device/custom_field/", as: "device42",
            body: "name=\(name)&bulk_fields=crypto_protocol:TLS 1.2,crypto_risk_score:70",
            contentType: "application/x-www-form-urlencoded")
        #expect(written.json["code"]?.intValue == 0)
        let device = sandbox.records(in: "device42").first { $0.name == name }
        #expect(device?.cryptoContext == ["crypto_protocol": "TLS 1.2", "crypto_risk_score": "70"])

        let unknown = client.send(
            "PUT", "/api/1.0/device/custom_field/", as: "device42", body: "name=ghost&key=crypto_a&value=1",
            contentType: "application/x-www-form-urlencoded")
        #expect(unknown.status == 200)
        #expect(unknown.json["code"]?.intValue == 2)
        #expect(unknown.json["msg"]?.stringValue == "Device ghost not found.")

        let anonymous = client.send("GET", "/api/1.0/devices/all/")
        #expect(anonymous.status == 401)
        #expect(anonymous.json["code"]?.stringValue == "1")
    }
}
