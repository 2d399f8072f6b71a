import Foundation
import JSONCore
import PluginRuntime

/// One tenant's use of one connector: its configuration (secrets sealed apart), field mapping, sync policy,
/// environment and optional version pin.
public struct Integration: Sendable, Equatable {
    public var id: String
    public var tenant: String
    public var pluginID: String
    /// An exact version to run; nil runs the newest loaded build of the plugin.
    public var versionPin: String?
    /// The configuration without secrets: what the plugin receives.
    public var configuration: JSON
    public var mapping: JSON
    /// `hourly`, `daily`, `weekly` or a five-field cron expression; nil for no schedule.
    public var schedule: String?
    /// Push in real time when an ingest raises one of `eventTypes`.
    public var realtime: Bool
    public var eventTypes: [String]
    public var environment: String
    public var isolation: IsolationLevel
    /// Which system owns each field when pulled context and inventory disagree.
    public var sourceOfTruth: JSON
    public var enabled: Bool
    /// Why the engine stopped this integration (an auth failure, a quarantined plugin); nil when it runs.
    public var pausedReason: String?
    /// The last inventory event this integration's real-time trigger has seen.
    public var eventCursor: Int64
    public var nextRunAt: Date?

    /// When the schedule next runs it: as the scheduler set it, or worked out from the schedule before the
    /// scheduler first saw it; nil without a schedule, and while the integration is disabled or paused (the
    /// scheduler passes it over).
    public func nextScheduledRun(after now: Date) -> Date? {
        guard isActive, let schedule else { return nil }
        return nextRunAt ?? (try? Schedule(schedule).next(after: now))
    }

    /// What `integrations show` prints for a sealed secret; an update given it keeps the stored secret.
    public static let secretMask = "********"

    public init(
        id: String, tenant: String, pluginID: String, versionPin: String? = nil, configuration: JSON = [:],
        mapping: JSON = [], schedule: String? = nil, realtime: Bool = false,
        eventTypes: [String] = Integration.defaultEventTypes, environment: String = "prod",
        isolation: IsolationLevel = .process, sourceOfTruth: JSON = Integration.defaultSourceOfTruth,
        enabled: Bool = true, pausedReason: String? = nil, eventCursor: Int64 = 0, nextRunAt: Date? = nil
    ) {
        self.id = id
        self.tenant = tenant
        self.pluginID = pluginID
        self.versionPin = versionPin
        self.configuration = configuration
        self.mapping = mapping
        self.schedule = schedule
        self.realtime = realtime
        self.eventTypes = eventTypes
        self.environment = environment
        self.isolation = isolation
        self.sourceOfTruth = sourceOfTruth
        self.enabled = enabled
        self.pausedReason = pausedReason
        self.eventCursor = eventCursor
        self.nextRunAt = nextRunAt
    }

    /// Every type, in the order they came: a type added later goes at the end (migrations match the stored list).
    public static let defaultEventTypes = [
        "discovery", "alert", "compliance_change", "certificate_expiry", "configuration_change",
    ]

    /// The product document's default: identity fields belong to the ITAM system, crypto fields to the platform.
    public static let defaultSourceOfTruth: JSON = [
        "asset.environment": "itam", "asset.serial_number": "itam", "asset.mac_address": "itam", "asset.id": "itam",
        "crypto_implementation": "platform", "certificate": "platform",
    ]

    /// Whether the engine may run jobs for this integration now.
    public var isActive: Bool { enabled && pausedReason == nil }

    /// `acme/servicenow-cmdb@2.1.0` or `acme/servicenow-cmdb` when unpinned.
    public var pluginReference: String { pluginID + (versionPin.map { "@\($0)" } ?? "") }
}
