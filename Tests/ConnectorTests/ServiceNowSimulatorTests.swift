import Foundation
import JSONCore
import Sandbox
import Testing

/// The ServiceNow simulator answers like an instance: Table API paging and encoded queries, v1's 404 on empty
/// answers, its error bodies, the OAuth password grant, and IRE's identification.
@Suite struct ServiceNowSimulatorTests {
    let sandbox: Sandbox
    let client: SandboxClient

    init() throws {
        sandbox = try Sandbox(port: 0, estate: SampleEstate(hosts: 40))
        client = SandboxClient(sandbox: sandbox)
    }

    @Test func tableAPIPagesWithTotalCountAndLinks() throws {
        let all = client.send(
            "GET", "/api/now/table/cmdb_ci_server?sysparm_query=ORDERBYname&sysparm_fields=name", as: "servicenow")
        let total = try #require(Int(all.header("X-Total-Count") ?? ""))
        #expect(total > 10)
        let names = all.json["result"]!.arrayValue!.map { $0["name"]!.stringValue! }
        #expect(names == names.sorted())

        let page = client.send(
            "GET",
            "/api/now/table/cmdb_ci_server?sysparm_query=ORDERBYname&sysparm_fields=name,sys_id"
                + "&sysparm_limit=5&sysparm_offset=5", as: "servicenow")
        #expect(page.status == 200)
        let rows = page.json["result"]!.arrayValue!
        #expect(rows.map { $0["name"]!.stringValue! } == Array(names[5..<10]))
        #expect(rows.allSatisfy { Set($0.objectValue!.keys) == ["name", "sys_id"] })
        #expect(page.header("X-Total-Count") == String(total))
        let link = try #require(page.header("Link"))
        #expect(link.contains("rel=\"next\"") && link.contains("sysparm_offset=10"))
    }

    @Test func encodedQueriesCombineAndOrAndNewQuery() {
        func names(_ query: String) -> [String] {
            client.send("GET", "/api/now/table/cmdb_ci?sysparm_fields=name&sysparm_query=" + query, as: "servicenow")
                .json["result"]?.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted() ?? []
        }
        #expect(names("name=legacy-000%5EORname=legacy-001") == ["legacy-000", "legacy-001"])
        #expect(
            names("nameSTARTSWITHlegacy%5Eoperational_status=6%5ENQname=legacy-003")
                == ["legacy-000", "legacy-003", "legacy-005", "legacy-010", "legacy-015", "legacy-020"])
        #expect(names("name=legacy-00%25") == [])  // `=` is exact, never a wildcard
    }

    @Test func emptyAnswersAre404InV1AndEmptyInV2() {
        let v1 = client.send("GET", "/api/now/table/cmdb_ci_server?sysparm_query=name=nowhere", as: "servicenow")
        #expect(v1.status == 404)
        #expect(v1.json["error"]?["message"]?.stringValue == "No Record found")
        #expect(v1.json["status"]?.stringValue == "failure")
        let v2 = client.send("GET", "/api/now/v2/table/cmdb_ci_server?sysparm_query=name=nowhere", as: "servicenow")
        #expect(v2.status == 200)
        #expect(v2.json["result"]?.arrayValue?.isEmpty == true)
    }

    @Test func unauthenticatedRequestsGetServiceNowsErrorBody() {
        let answer = client.send("GET", "/api/now/table/cmdb_ci_server")
        #expect(answer.status == 401)
        #expect(answer.json["error"]?["detail"]?.stringValue == "Required to provide Auth information")
    }

    @Test func oauthPasswordGrantIssuesABearerToken() throws {
        let oauth = sandbox.serviceNowOAuth
        func form(_ secret: String) -> String {
            [
                "grant_type=password", "client_id=\(oauth["client_id"]!.stringValue!)", "client_secret=\(secret)",
                "username=\(oauth["username"]!.stringValue!)", "password=\(oauth["password"]!.stringValue!)",
            ].joined(separator: "&")
        }
        let refused = client.send(
            "POST", "/oauth_token.do", body: form("wrong"), contentType: "application/x-www-form-urlencoded")
        #expect(refused.status == 401)
        let granted = client.send(
            "POST", "/oauth_token.do", body: form(oauth["client_secret"]!.stringValue!),
            contentType: "application/x-www-form-urlencoded")
        #expect(granted.status == 200)
        let token = try #require(granted.json["access_token"]?.stringValue)
        #expect(granted.json["token_type"]?.stringValue == "Bearer")
        #expect(granted.json["expires_in"]?.intValue == 1799)
        let answer = client.send(
            "GET", "/api/now/table/cmdb_ci_server?sysparm_limit=1", headers: [("Authorization", "Bearer \(token)")])
        #expect(answer.status == 200)
    }

    @Test func identificationInsertsOnceThenUpdatesTheSameCI() throws {
        let item: JSON = [
            "items": [
                [
                    "className": "cmdb_ci_linux_server",
                    "values": [
                        "name": "ire-probe-01", "fqdn": "ire-probe-01.corp.example.com", "u_crypto_risk_score": "40",
                    ],
                    "sys_object_source_info": ["source_name": "CryptoConnect", "source_native_key": "probe-01"],
                ]
            ]
        ]
        let path = "/api/now/identifyreconcile?sysparm_data_source=CryptoConnect"
        let first = client.send("POST", path, as: "servicenow", body: item.serialized())
        let inserted = try #require(first.json["result"]?["items"]?[0])
        #expect(inserted["operation"]?.stringValue == "INSERT")
        let again = client.send("POST", path, as: "servicenow", body: item.serialized())
        let unchanged = try #require(again.json["result"]?["items"]?[0])
        #expect(unchanged["operation"]?.stringValue == "NO_CHANGE")
        #expect(unchanged["sysId"] == inserted["sysId"])
        #expect(sandbox.records(in: "servicenow").filter { $0.name == "ire-probe-01" }.count == 1)

        let missingSource = client.send("POST", "/api/now/identifyreconcile", as: "servicenow", body: item.serialized())
        #expect(missingSource.status == 400)
        #expect(missingSource.json["error"]?["message"]?.stringValue?.contains("sysparm_data_source") == true)
        // A data source that is no choice of discovery_source is refused, as IRE does.
        let unknownSource = client.send(
            "POST", "/api/now/identifyreconcile?sysparm_data_source=Scanner9", as: "servicenow", body: item.serialized()
        )
        #expect(unknownSource.status == 400)
        #expect(unknownSource.json["error"]?["message"] == "In payload invalid data source [Scanner9] exist")

        let anonymous: JSON = ["items": [["className": "cmdb_ci_linux_server", "values": ["os": "Linux"]]]]
        let refused = client.send("POST", path, as: "servicenow", body: anonymous.serialized())
        #expect(
            refused.json["result"]?["items"]?[0]?["errors"]?[0]?["error"]?.stringValue == "MISSING_MATCHING_ATTRIBUTES")
    }

    /// Without a source key, items are identified by serial number, name, FQDN or IP, including CIs that an earlier
    /// item of the same request created.
    @Test func identificationByAttributesSeesCIsCreatedEarlierInTheRequest() throws {
        let path = "/api/now/identifyreconcile?sysparm_data_source=CryptoConnect"
        let items: JSON = [
            "items": [
                ["className": "cmdb_ci_linux_server", "values": ["serial_number": "SN-IRE-1", "name": "ire-attr-01"]],
                [
                    "className": "cmdb_ci_linux_server",
                    "values": ["serial_number": "SN-IRE-1", "u_crypto_risk_score": "70"],
                ],
                ["className": "cmdb_ci_linux_server", "values": ["name": "ire-attr-01", "u_crypto_risk_score": "80"]],
            ]
        ]
        let answer = client.send("POST", path, as: "servicenow", body: items.serialized())
        let results = try #require(answer.json["result"]?["items"]?.arrayValue)
        #expect(results.map { $0["operation"]?.stringValue } == ["INSERT", "UPDATE", "UPDATE"])
        #expect(Set(results.map { $0["sysId"] }).count == 1)
        #expect(
            results[1]["identificationAttempts"]?[0] == ["identifierName": "serial_number", "attemptResult": "MATCHED"])
        #expect(results[2]["identificationAttempts"]?[1] == ["identifierName": "name", "attemptResult": "MATCHED"])
        let stored = sandbox.records(in: "servicenow").filter { $0.name == "ire-attr-01" }
        #expect(stored.count == 1)
    }
}
