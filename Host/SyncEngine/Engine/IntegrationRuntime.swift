import Foundation
import HostServices
import Inventory
import JSONCore
import PluginABI
import PluginRuntime

/// Everything needed to run one integration's jobs, built once and kept while its configuration is unchanged:
/// the plugin build, the instance spec, the host services (with the HTTP stack, whose connections, rate limiter
/// and circuit breaker outlive single jobs), and the compiled mapping.
public final class IntegrationRuntime: @unchecked Sendable {
    public let integration: Integration
    public let build: PluginBuild
    public let instance: InstanceSpec
    public let services: IntegrationServices
    public let mapping: FieldMapping
    let fingerprint: String

    init(
        integration: Integration, build: PluginBuild, instance: InstanceSpec, services: IntegrationServices,
        mapping: FieldMapping, fingerprint: String
    ) {
        self.integration = integration
        self.build = build
        self.instance = instance
        self.services = services
        self.mapping = mapping
        self.fingerprint = fingerprint
    }

    public var http: IntegrationHTTP? { services.http }
}
