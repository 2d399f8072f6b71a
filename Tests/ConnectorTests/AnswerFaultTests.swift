import Foundation
import JSONCore
import LoopbackHTTP
import TestSupport
import Testing

/// Answers whose HTTP status does not say whose fault they are. The target's trouble with HTTP 200 is tried again,
/// where it used to be a data error that failed the job outright, with nothing retried or dead-lettered; refused
/// rights with HTTP 500 pause the integration, where they were retried as an outage forever.
@Suite struct AnswerFaultTests {
    let data = TemporaryDirectory("answers")

    /// `cryptoconnect plugins call` of a first-party plugin against `server`, one attempt per request; the outcome
    /// as `--json` prints it.
    func call(
        _ plugin: String, _ operation: String, _ server: RecordingServer, records: [JSON]? = nil,
        settings: JSON = [:]
    ) throws -> JSON {
        var configuration: [String: JSON] = [
            "base_url": .string(server.server.baseURL), "auth": ["type": "basic", "username": "u", "password": "p"],
            "retry": ["max_attempts": 1],
        ]
        for (name, value) in settings.objectValue ?? [:] { configuration[name] = value }
        var arguments = [
            "plugins", "call", PackagePaths.plugin(plugin), "--op", operation, "--config",
            data.file("config-\(UUID().uuidString).json", JSON.object(configuration).serialized()),
            "--data-dir", data.path, "--json",
        ]
        if let records {
            arguments += [
                "--input",
                data.file("input-\(UUID().uuidString).json", JSON(["records": .array(records)]).serialized()),
            ]
        }
        let result = try Command.cryptoconnect(arguments)
        return try JSON.parse(result.stdout)
    }

    /// Lansweeper's GraphQL errors: their `extensions.code` says whose fault it is.
    @Test(
        arguments: [
            ("INTERNAL_SERVER_ERROR", "server_error", nil), ("UNAUTHENTICATED", "auth_error", nil),
            ("GRAPHQL_VALIDATION_FAILED", "data_error", nil),
            // A resolver's error names the field it failed in: the site a pull goes through is no asset's.
            ("INTERNAL_SERVER_ERROR", "server_error", #"["site"]"#), ("INTERNAL_SERVER_ERROR", "server_error", "null"),
        ] as [(String, String, String?)])
    func anErrorsCodeSaysWhoseFaultItIs(code: String, status: String, path: String?) throws {
        let at = path.map { #","path":\#($0)"# } ?? ""
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(
                status: 200,
                json:
                    #"{"errors":[{"message":"Something went wrong"\#(at),"extensions":{"code":"\#(code)"}}],"data":null}"#
            )
        }
        let outcome = try call(
            "lansweeper", "pull", server,
            settings: [
                "site_ids": ["site-1"],
                "auth": ["type": "api_key", "header": "Authorization", "prefix": "Token", "key": "k"],
            ])
        #expect(outcome["status"]?.stringValue == status, "\(outcome)")
        #expect(outcome.serialized().contains("Something went wrong"))
    }

    /// An IRE answer with fewer items than were sent cannot be matched to the records: each half is reconciled on
    /// its own, down to the record IRE leaves out, which is refused for its data; a record refused outright (a 400)
    /// is refused alone. The others go on, in a few requests rather than one per record.
    @Test func aShortIREAnswerIsNarrowedToTheRecordsItLeavesOut() throws {
        let server = try RecordingServer { request, _ in
            let body = String(decoding: request.body, as: UTF8.self)
            let sent = ["r1", "r2", "r3", "r4"].filter { body.contains(#""\#($0)""#) }
            if sent == ["r2"] {
                return HTTPServerResponse(status: 400, json: #"{"error":{"message":"Invalid payload"}}"#)
            }
            // Every answer leaves r4 out, and r2 when it is not alone (alone, it is refused outright).
            let items = sent.filter { $0 != "r4" && !($0 == "r2" && sent.count > 1) }.map { _ in
                #"{"className":"cmdb_ci_server","operation":"INSERT","sysId":"a1"}"#
            }
            return HTTPServerResponse(
                status: 200, json: #"{"result":{"items":["# + items.joined(separator: ",") + "]}}")
        }
        let outcome = try call(
            "servicenow-cmdb", "push", server,
            records: ["r1", "r2", "r3", "r4"].map {
                ["key": .string($0), "fields": ["fqdn": .string("\($0).example.com")]]
            })
        #expect(outcome["status"] == "ok", "\(outcome)")
        let results = outcome["results"]?.arrayValue ?? []
        #expect(results.map { $0["status"]?.stringValue } == ["ok", "data_error", "ok", "data_error"], "\(outcome)")
        #expect(results[1]["message"]?.stringValue?.contains("Invalid payload") == true, "\(outcome)")
        #expect(results[3]["message"] == "IRE answered 0 items for 1 sent")
        // The batch, its two halves, then the four records of the two halves that came back short.
        #expect(server.requests.count == 7)
    }

    /// IRE's updates that reclassify a CI are updates, and an item answered with sysId "Unknown" got no CI: they
    /// were reported as unchanged, and as acknowledged with the id "Unknown".
    @Test func aReclassifyingIREUpdateIsAnUpdateAndAnUnknownCIIsNone() throws {
        let items = [
            #"{"className":"cmdb_ci_server","operation":"UPDATE_WITH_DOWNGRADE","sysId":"a1"}"#,
            #"{"className":"cmdb_ci_server","operation":"UPDATE_WITH_SWITCH","sysId":"a2"}"#,
            #"{"className":"cmdb_ci_server","operation":"NO_CHANGE","sysId":"Unknown"}"#,
            #"{"className":"cmdb_ci_server","operation":"INSERT_AS_INCOMPLETE","sysId":"a4"}"#,
        ]
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(status: 200, json: #"{"result":{"items":["# + items.joined(separator: ",") + "]}}")
        }
        let outcome = try call(
            "servicenow-cmdb", "push", server,
            records: ["r1", "r2", "r3", "r4"].map {
                ["key": .string($0), "fields": ["fqdn": .string("\($0).example.com")]]
            })
        let results = outcome["results"]?.arrayValue ?? []
        #expect(results.map { $0["action"]?.stringValue } == ["updated", "updated", nil, "created"], "\(outcome)")
        #expect(results.map { $0["status"]?.stringValue } == ["ok", "ok", "data_error", "ok"])
    }

    /// Device42 refuses a user without the rights with HTTP 500.
    @Test func device42sMissingPermissionIsACredentialsProblem() throws {
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(
                status: 500, json: #"{"msg":"You don't have permissions to access this resource.","code":"1"}"#)
        }
        let outcome = try call("device42", "pull", server)
        #expect(outcome["status"] == "auth_error", "\(outcome)")
        #expect(outcome.serialized().contains("You don't have permissions to access this resource."))
        #expect(server.requests.count == 1)  // not retried
    }

    /// A redirect (a sign-on page in front of the API) is a setting to fix, not an outage to retry for hours.
    @Test func aRedirectIsAConfigurationProblemThatSaysWhere() throws {
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(status: 302, headers: [("Location", "https://sso.example.com/login")], body: [])
        }
        let outcome = try call("device42", "pull", server)
        #expect(outcome["status"] == "config_error", "\(outcome)")
        #expect(outcome.serialized().contains("redirected to https://sso.example.com/login"))
        #expect(server.requests.count == 1)  // not retried
    }

    /// One device whose write times out does not hold back the devices after it (they were all left to retry, and
    /// the slow one came first again on every push); two in a row stop the batch, as the appliance is the slow one.
    @Test func oneSlowDeviceDoesNotHoldBackTheOthers() throws {
        let server = try RecordingServer { request, _ in
            if request.bodyText.contains("name=slow") { Thread.sleep(forTimeInterval: 1.5) }
            return HTTPServerResponse(
                status: 200, json: #"{"msg":["custom key pair values added or updated",7,"host",false,false],"code":0}"#
            )
        }
        func push(_ names: [String]) throws -> [String: String] {
            let outcome = try call(
                "device42", "push", server,
                records: names.map { ["key": .string($0), "fields": ["name": .string($0), "crypto_risk_score": 70]] },
                settings: ["timeouts": ["request_ms": 500]])
            return Dictionary(
                uniqueKeysWithValues: (outcome["results"]?.arrayValue ?? []).compactMap { item in
                    item["key"]?.stringValue.map { ($0, item["status"]?.stringValue ?? "") }
                })
        }
        #expect(try push(["a", "slow", "b"]) == ["a": "ok", "slow": "timeout", "b": "ok"])
        #expect(try push(["slow", "slow2", "c"]).values.allSatisfy { $0 == "timeout" })
    }
}
