import Foundation
import JSONCore

/// Whether a running job's integration was removed or disabled meanwhile: the job then stops at its next batch
/// instead of going on with credentials and a configuration its operator took back; also whether a more urgent job
/// of the integration waits, for which it makes way. Looked up at most twice a second, so a fast push does not read
/// the store after every batch.
struct WithdrawalCheck {
    private let integration: String
    private var lastChecked = ContinuousClock.now
    /// Why the job stops; nil while the integration is there and enabled.
    private(set) var reason: String?
    /// Whether it stops because the mapping changed: what it sent went as the old mapping made it.
    private(set) var mappingChanged = false

    /// The mapping a push sends with: changed meanwhile, the push stops, to go on with the new one.
    private let mapping: JSON?

    /// Whether a more urgent job of the integration waits: the job then hands itself back and goes on after it.
    private let outranked: (() throws -> Bool)?

    init(_ integration: String, mapping: JSON? = nil, outranked: (() throws -> Bool)? = nil) {
        self.integration = integration
        self.mapping = mapping
        self.outranked = outranked
    }

    mutating func isWithdrawn(in integrations: IntegrationRepository) -> Bool {
        guard reason == nil else { return true }
        guard ContinuousClock.now - lastChecked >= .milliseconds(500) else { return false }
        lastChecked = .now
        switch Result(catching: { try integrations.integration(integration) }) {
        case .success(let found?) where !found.enabled:
            reason = "integration \(integration) was disabled; the job goes on when it is enabled"
        case .success(nil):
            reason = "integration \(integration) was removed"
        case .success(let found?) where mapping != nil && found.mapping != mapping:
            reason = "the mapping of integration \(integration) changed; the push goes on with the new one"
            mappingChanged = true
        default:
            // There (or the store was busy: asked again next time).
            if (try? outranked?()) == true {
                reason = "a more urgent job of integration \(integration) goes first; this one goes on after it"
            }
        }
        return reason != nil
    }
}
