import Foundation
import HostServices
import JSONCore
import LoopbackHTTP
import PluginABI
import PluginRuntime
import TestSupport
import Testing

/// A plugin's HTTP request through the host-service table, across the worker channel, out through the host's
/// client with the credentials the host holds, and back.
@Suite struct PluginHTTPTests {
    @Test func workerPluginRequestsGetHostCredentialsAndNeverSeeThem() throws {
        let server = try RecordingServer { _, _ in ok(#"{"pong":true}"#) }
        let plugin = try PluginBuilds.cFixture()
        let configuration: JSON = [
            "ping": true, "base_url": .string(server.baseURL),
            "auth": ["type": "basic", "username": "svc", "password": "pw-never-in-plugin"],
        ]
        let prepared = try PreparedConfiguration(configuration, schema: plugin.manifest.configSchema)
        #expect(prepared.secrets == ["auth.password": "pw-never-in-plugin"])
        let settings = try #require(prepared.settings)
        let redactor = Redactor()
        let log = CollectingLog()
        let services = IntegrationServices(
            source: "plugin c-fixture", http: IntegrationHTTP(integration: "i", settings: settings, redactor: redactor),
            log: log, redactor: redactor)
        let supervisor = PluginSupervisor(log: log)
        defer { supervisor.shutdown() }
        let outcome = try supervisor.call(
            plugin,
            instance: InstanceSpec(
                key: "i", tenant: "t", configuration: prepared.pluginConfiguration.serializedBytes()),
            operation: .test, services: services)
        #expect(outcome.status == .ok, "\(String(decoding: outcome.output, as: UTF8.self))")
        let output = try JSON.parse(outcome.output)
        #expect(output["status"] == 200)
        #expect(output["body"] == ["pong": true])
        #expect(output["config"]?["auth"] == ["type": "basic", "username": "svc"])
        #expect(!String(decoding: outcome.output, as: UTF8.self).contains("pw-never-in-plugin"))
        #expect(
            server.requests.first?.header("Authorization") == "Basic "
                + Data("svc:pw-never-in-plugin".utf8).base64EncodedString())
        #expect(server.requests.first?.header("Accept") == "application/json")
    }

    @Test func proxySettingRoutesRequestsThroughTheProxy() throws {
        let proxy = try RecordingServer { request, _ in ok(#"{"via":"proxy","target":"\#(request.path)"}"#) }
        let http = try integrationHTTP([
            "base_url": "http://inventory.example.invalid", "proxy": .string(proxy.baseURL),
        ])
        let result = http.send(get("/assets"))
        #expect(result.statusCode == 200)
        #expect(try JSON.parse(result.body)["target"] == "http://inventory.example.invalid/assets")
    }
}
