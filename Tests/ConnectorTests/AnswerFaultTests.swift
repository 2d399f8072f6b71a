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

    /// Lansweeper's GraphQL errors: their `extensions.code` says whose fault it is.
    func pull(answering code: String) throws -> Command.Result {
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(
                status: 200,
                json: #"{"errors":[{"message":"Something went wrong","extensions":{"code":"\#(code)"}}],"data":null}"#)
        }
        let config = data.file(
            "config-\(code).json",
            JSON([
                "base_url": .string(server.server.baseURL), "site_ids": ["site-1"],
                "auth": ["type": "api_key", "header": "Authorization", "prefix": "Token", "key": "k"],
                "retry": ["max_attempts": 1],
            ]).serialized())
        return try Command.cryptoconnect([
            "plugins", "call", PackagePaths.plugin("lansweeper"), "--op", "pull", "--config", config, "--data-dir",
            data.path, "--json",
        ])
    }

    @Test(arguments: [
        ("INTERNAL_SERVER_ERROR", "server_error"), ("UNAUTHENTICATED", "auth_error"),
        ("GRAPHQL_VALIDATION_FAILED", "data_error"),
    ])
    func anErrorsCodeSaysWhoseFaultItIs(code: String, status: String) throws {
        let result = try pull(answering: code)
        #expect(result.status != 0)
        #expect(try JSON.parse(result.stdout)["status"]?.stringValue == status, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("Something went wrong"))
    }

    /// An IRE answer with fewer items than were sent cannot be matched to the records.
    @Test func aShortIREAnswerIsTheTargetsFault() throws {
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(
                status: 200,
                json: #"{"result":{"items":[{"className":"cmdb_ci_server","operation":"INSERT","sysId":"a1"}]}}"#)
        }
        let config = data.file(
            "servicenow.json",
            JSON([
                "base_url": .string(server.server.baseURL),
                "auth": ["type": "basic", "username": "u", "password": "p"],
                "retry": ["max_attempts": 1],
            ]).serialized())
        let input = data.file(
            "records.json",
            JSON([
                "records": [
                    ["key": "r1", "fields": ["fqdn": "a.example.com"]],
                    ["key": "r2", "fields": ["fqdn": "b.example.com"]],
                ]
            ])
            .serialized())
        let result = try Command.cryptoconnect([
            "plugins", "call", PackagePaths.plugin("servicenow-cmdb"), "--op", "push", "--config", config, "--input",
            input, "--data-dir", data.path, "--json",
        ])
        #expect(result.status != 0)
        let outcome = try JSON.parse(result.stdout)
        #expect(outcome["status"] == "server_error", "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("IRE answered 1 items for 2 sent"))
    }

    /// Device42 refuses a user without the rights with HTTP 500.
    @Test func device42sMissingPermissionIsACredentialsProblem() throws {
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(
                status: 500, json: #"{"msg":"You don't have permissions to access this resource.","code":"1"}"#)
        }
        let config = data.file(
            "device42.json",
            JSON([
                "base_url": .string(server.server.baseURL),
                "auth": ["type": "basic", "username": "u", "password": "p"],
                "retry": ["max_attempts": 1],
            ]).serialized())
        let result = try Command.cryptoconnect([
            "plugins", "call", PackagePaths.plugin("device42"), "--op", "pull", "--config", config, "--data-dir",
            data.path, "--json",
        ])
        #expect(result.status != 0)
        #expect(try JSON.parse(result.stdout)["status"] == "auth_error", "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("You don't have permissions to access this resource."))
        #expect(server.requests.count == 1)  // not retried
    }

    /// A redirect (a sign-on page in front of the API) is a setting to fix, not an outage to retry for hours.
    @Test func aRedirectIsAConfigurationProblemThatSaysWhere() throws {
        let server = try RecordingServer { _, _ in
            HTTPServerResponse(status: 302, headers: [("Location", "https://sso.example.com/login")], body: [])
        }
        let config = data.file(
            "redirected.json",
            JSON([
                "base_url": .string(server.server.baseURL),
                "auth": ["type": "basic", "username": "u", "password": "p"],
            ]).serialized())
        let result = try Command.cryptoconnect([
            "plugins", "call", PackagePaths.plugin("device42"), "--op", "pull", "--config", config, "--data-dir",
            data.path, "--json",
        ])
        #expect(try JSON.parse(result.stdout)["status"] == "config_error", "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("redirected to https://sso.example.com/login"))
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
        let config = data.file(
            "device42-slow.json",
            JSON([
                "base_url": .string(server.server.baseURL),
                "auth": ["type": "basic", "username": "u", "password": "p"],
                "retry": ["max_attempts": 1], "timeouts": ["request_ms": 500],
            ]).serialized())
        func push(_ names: [String]) throws -> [String: String] {
            let input = data.file(
                "devices-\(names.joined(separator: "-")).json",
                JSON([
                    "records": .array(
                        names.map { ["key": .string($0), "fields": ["name": .string($0), "crypto_risk_score": 70]] })
                ]).serialized())
            let result = try Command.cryptoconnect([
                "plugins", "call", PackagePaths.plugin("device42"), "--op", "push", "--config", config, "--input",
                input, "--data-dir", data.path, "--json",
            ])
            let results = try JSON.parse(result.stdout)["results"]?.arrayValue ?? []
            return Dictionary(
                uniqueKeysWithValues: results.compactMap { item in
                    item["key"]?.stringValue.map { ($0, item["status"]?.stringValue ?? "") }
                })
        }
        #expect(try push(["a", "slow", "b"]) == ["a": "ok", "slow": "timeout", "b": "ok"])
        #expect(try push(["slow", "slow2", "c"]).values.allSatisfy { $0 == "timeout" })
    }
}
