@_exported import JSONCore
@_exported import PluginABI

/// A connector: what a plugin author writes. Conform to `Connector`, add the capability protocols the target
/// supports, and export it with one line:
///
///     @_cdecl("cc_plugin_entry") public func pluginEntry() -> UnsafeRawPointer { export(MyConnector.self) }
///
/// The SDK turns the type into a PluginAPI manifest and handles every pointer, buffer and status code. An instance
/// is called from one thread at a time.
public protocol Connector: AnyObject {
    /// Who the connector is; becomes the manifest.
    static var info: ConnectorInfo { get }

    /// Creates an instance from an integration's configuration (secrets removed: the host authenticates).
    /// Throw `ConnectorError.config` naming the field when the configuration is unusable.
    init(configuration: Configuration, host: ConnectorHost) throws

    /// Checks connectivity and credentials with the lightest real request the target offers; returns details to
    /// show, such as `["message": "connected to dev12345"]`.
    func testConnection() throws -> JSON
}

/// Writes records into the target.
public protocol PushConnector: Connector {
    /// Returns exactly one result per input record; a failed record is a result, not a thrown error. Throw only
    /// when the whole batch failed (e.g. credentials refused).
    func push(_ records: [PushRecord]) throws -> [RecordResult]
}

/// Reads asset context out of the target, a page at a time.
public protocol PullConnector: Connector {
    func pull(_ request: PullRequest) throws -> PullPage
}

/// Describes the target's objects, for the mapping wizard.
public protocol SchemaConnector: Connector {
    func schema() throws -> TargetSchema
}

/// Reacts to inventory events (an alert, an expiring certificate), e.g. by opening a ticket.
public protocol EventConnector: Connector {
    func handle(_ event: ConnectorEvent) throws
}

/// The descriptive half of the manifest.
public struct ConnectorInfo: Sendable {
    public var id: String
    public var name: String
    public var version: String
    public var vendor: String
    public var description: String
    /// JSON Schema of the configuration; mark credentials with `"x-secret": true`.
    public var configurationSchema: JSON
    /// `[{source_field, target_field, target_table?, transform?}]`
    public var defaultMapping: JSON
    /// Separate instances may run on different threads at once.
    public var concurrentInstances: Bool

    public init(
        id: String, name: String, version: String, vendor: String, description: String,
        configurationSchema: JSON = ["type": "object"], defaultMapping: JSON = [], concurrentInstances: Bool = true
    ) {
        self.id = id
        self.name = name
        self.version = version
        self.vendor = vendor
        self.description = description
        self.configurationSchema = configurationSchema
        self.defaultMapping = defaultMapping
        self.concurrentInstances = concurrentInstances
    }
}
