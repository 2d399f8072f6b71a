import Foundation
import HostServices
import JSONCore
import LoopbackHTTP
import PluginABI

/// Builds an integration's HTTP stack from a whole configuration (secrets included), the way the host does: split
/// by the schema, secrets to the host, the rest parsed into settings.
func integrationHTTP(
    _ configuration: JSON, redactor: Redactor = Redactor(), jitter: Bool = false
) throws -> IntegrationHTTP {
    let (publicPart, secrets) = try ConfigurationSchema(ConnectionSchema.schema(required: [])).split(configuration)
    let settings = try HTTPSettings(configuration: publicPart, secrets: secrets)
    // Without jitter the backoff is its cap, so timing assertions are exact.
    let retry = RetryPolicy(settings: settings.retry, random: { jitter ? Double.random(in: $0) : $0.upperBound })
    return IntegrationHTTP(integration: "test", settings: settings, redactor: redactor, retry: retry)
}

func get(_ url: String, headers: [HTTPHeader] = []) -> PluginHTTPRequest {
    PluginHTTPRequest(method: "GET", url: url, headers: headers)
}

func post(_ url: String, _ body: String, idempotencyKey: String? = nil) -> PluginHTTPRequest {
    PluginHTTPRequest(
        method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8),
        idempotencyKey: idempotencyKey)
}

extension PluginHTTPResult {
    var text: String { String(decoding: body, as: UTF8.self) }
}

func ok(_ json: String = "{}") -> HTTPServerResponse { HTTPServerResponse(status: 200, json: json) }
