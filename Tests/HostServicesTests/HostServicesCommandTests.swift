import Foundation
import HostServices
import JSONCore
import LoopbackHTTP
import Store
import TestSupport
import Testing

/// `cryptoconnect http`, `metrics` and `secrets` as an operator runs them: no secret in any output or file.
@Suite struct HostServicesCommandTests {
    let folder = TemporaryDirectory("cli")

    @Test func requestThroughTheStackLeaksNoSecret() throws {
        let password = "pw-\(UUID().uuidString)"
        let server = try RecordingServer { request, index in
            // Echo the credentials back, as a careless server might, and fail once first.
            index == 0
                ? HTTPServerResponse(status: 503, json: #"{"auth":"\#(request.header("Authorization") ?? "")"}"#)
                : HTTPServerResponse(status: 200, json: #"{"seen":"\#(request.header("Authorization") ?? "")"}"#)
        }
        let document: JSON = [
            "base_url": .string(server.baseURL),
            "auth": ["type": "basic", "username": "svc", "password": .string(password)],
            "retry": ["base_delay_ms": 10],
        ]
        let config = folder.file("config.json", document.serialized())
        let result = try Command.cryptoconnect([
            "http", "--config", config, "--url", "/api/now/table/sys_user?sysparm_limit=1", "--data-dir", folder.path,
            "--integration", "acme-servicenow", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try JSON.parse(result.stdout)
        #expect(output["status_code"] == 200)
        #expect(output["body"]?["seen"] == "[REDACTED]")
        #expect(output["metrics"]?["retries"] == 1)
        #expect(result.stderr.contains("answered 503; retry 1"))
        let basic = Data("svc:\(password)".utf8).base64EncodedString()
        for text in [result.stdout, result.stderr] {
            #expect(!text.contains(password) && !text.contains(basic))
        }

        let metrics = try Command.cryptoconnect(["metrics", "--data-dir", folder.path, "--json"])
        #expect(try JSON.parse(metrics.stdout)["acme-servicenow"]?["requests"] == 1)
        let table = try Command.cryptoconnect(["metrics", "--data-dir", folder.path])
        #expect(table.stdout.contains("acme-servicenow"))

        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where file.hasPrefix("cryptoconnect.sqlite") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/" + file))
            #expect(bytes.range(of: Data(password.utf8)) == nil)
        }
    }

    @Test func refusedConfigurationNamesTheField() throws {
        let config = folder.file(
            "bad.json",
            #"{"base_url":"https://x.example.com","auth":{"type":"basic","username":"svc"},"notes":{"token":"t-999"}}"#)
        let result = try Command.cryptoconnect(["http", "--config", config, "--url", "/", "--data-dir", folder.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("notes: is not a field of this plugin's configuration"))
        #expect(!result.stderr.contains("t-999"))
    }

    @Test func keyGenerationAndRotation() throws {
        let oldKey = try Command.cryptoconnect(["secrets", "generate-key"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let newKey = try Command.cryptoconnect(["secrets", "generate-key"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(Data(base64Encoded: oldKey)?.count == 32)
        #expect(oldKey != newKey)
        let store = try Store(path: folder.path + "/cryptoconnect.sqlite")
        try SecretVault(store: store, key: try MasterKey(base64: oldKey, source: "t")).save(
            owner: "t/i", secrets: ["auth.token": "tok-abcdef"])
        let newKeyFile = folder.file("new.key", newKey)
        chmod(newKeyFile, 0o600)  // a key file others can read is refused

        let rotated = try Command.cryptoconnect(
            ["secrets", "rotate", "--new-key-file", newKeyFile, "--data-dir", folder.path],
            environment: ["CRYPTOCONNECT_MASTER_KEY": oldKey])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.contains("Re-sealed 1 secrets"))
        #expect(
            try SecretVault(store: store, key: try MasterKey(base64: newKey, source: "t")).secrets(owner: "t/i") == [
                "auth.token": "tok-abcdef"
            ])

        let wrong = try Command.cryptoconnect(
            ["secrets", "rotate", "--new-key-file", newKeyFile, "--data-dir", folder.path],
            environment: ["CRYPTOCONNECT_MASTER_KEY": oldKey])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("the store's secrets are sealed under master key"), "\(wrong.stderr)")
        let missing = try Command.cryptoconnect(
            ["secrets", "rotate", "--new-key-file", newKeyFile, "--data-dir", folder.path],
            environment: ["CRYPTOCONNECT_MASTER_KEY": "", "CRYPTOCONNECT_MASTER_KEY_FILE": ""])
        #expect(missing.stderr.contains("no master key"))
        let listed = try Command.cryptoconnect(["secrets", "list", "--data-dir", folder.path])
        #expect(listed.stdout.contains("auth.token") && !listed.stdout.contains("tok-abcdef"))
    }
}
