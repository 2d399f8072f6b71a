import Foundation
import JSONCore
import Sandbox
import TestSupport
import Testing

/// The sandbox's admin API, fault injection and state directory.
@Suite struct SandboxAdminTests {
    @Test func faultsAreValidatedSetAndCleared() throws {
        let sandbox = try Sandbox(port: 0, estate: SampleEstate(hosts: 20))
        let client = SandboxClient(sandbox: sandbox)
        let listed = client.send("GET", "/_sandbox").json["simulators"]?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(listed == Sandbox.names)

        let bad = client.send("PUT", "/_sandbox/device42/faults", body: #"{"error_rate": 2}"#)
        #expect(bad.status == 400)
        #expect(bad.text.contains("faults.error_rate must be between 0 and 1"))
        let unknown = client.send("PUT", "/_sandbox/jira/faults", body: "{}")
        #expect(unknown.status == 404)
        #expect(unknown.text.contains("no simulator named jira"))

        #expect(client.send("PUT", "/_sandbox/device42/faults", body: #"{"reject_credentials": true}"#).status == 200)
        #expect(client.send("GET", "/api/1.0/devices/all/?limit=1", as: "device42").status == 401)
        #expect(client.send("GET", "/_sandbox/device42/faults").json["reject_credentials"] == true)
        #expect(client.send("DELETE", "/_sandbox/device42/faults").status == 200)
        #expect(client.send("GET", "/api/1.0/devices/all/?limit=1", as: "device42").status == 200)

        #expect(client.send("PUT", "/_sandbox/device42/faults", body: #"{"malformed_bodies": true}"#).status == 200)
        let truncated = client.send("GET", "/api/1.0/devices/all/?limit=5", as: "device42")
        #expect(truncated.status == 200)
        #expect(!truncated.text.isEmpty && truncated.json == .null)

        let log = client.send("GET", "/_sandbox/device42/requests").json["requests"]?.arrayValue ?? []
        #expect(log.map { $0["status"]?.intValue ?? 0 } == [401, 200, 200])
    }

    @Test func resetReturnsToTheSeededEstate() throws {
        let sandbox = try Sandbox(port: 0, estate: SampleEstate(hosts: 20))
        let client = SandboxClient(sandbox: sandbox)
        let name = sandbox.records(in: "device42")[0].name
        _ = client.send(
            "PUT", "/api/1.0/device/custom_field/", as: "device42", body: "name=\(name)&key=crypto_risk_score&value=90",
            contentType: "application/x-www-form-urlencoded")
        #expect(sandbox.summary(of: "device42").withCryptoContext == 1)
        #expect(client.send("POST", "/_sandbox/reset").status == 200)
        #expect(sandbox.summary(of: "device42").withCryptoContext == 0)
        #expect(sandbox.requests(to: "device42").isEmpty)
    }

    @Test func aStateDirectoryKeepsRecordsAcrossRestarts() throws {
        let folder = TemporaryDirectory("sandbox-state")
        let state = folder.directory("state")
        var name = ""
        do {
            let sandbox = try Sandbox(port: 0, stateDirectory: state, estate: SampleEstate(hosts: 20))
            name = sandbox.records(in: "device42")[3].name
            let answer = SandboxClient(sandbox: sandbox).send(
                "PUT", "/api/1.0/device/custom_field/", as: "device42",
                body: "name=\(name)&key=crypto_protocol&value=TLS 1.0", contentType: "application/x-www-form-urlencoded"
            )
            #expect(answer.json["code"]?.intValue == 0)
            sandbox.stop()
        }
        let restarted = try Sandbox(port: 0, stateDirectory: state, estate: SampleEstate(hosts: 20))
        #expect(
            restarted.records(in: "device42").first { $0.name == name }?.cryptoContext == ["crypto_protocol": "TLS 1.0"]
        )
        restarted.stop()

        _ = folder.file("state/lansweeper.json", "{\"assets\": [trunc")
        let refused = #expect(throws: SandboxProblem.self) {
            try Sandbox(port: 0, stateDirectory: state, estate: SampleEstate(hosts: 20))
        }
        #expect(refused?.description.contains("lansweeper.json: not a sandbox state file") == true)
    }
}
