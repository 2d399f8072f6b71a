import Foundation
import JSONCore

/// Something the sync engine and webhooks react to, persisted with the record it concerns.
public struct InventoryEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case discovery
        case complianceChange = "compliance_change"
        case certificateExpiry = "certificate_expiry"
        case alert
        /// An endpoint's crypto configuration changed (a protocol version, a cipher suite, the certificate, a risk
        /// score out of alert) with no alert or compliance change to say so: a host fixed, say, which a target should
        /// show as soon as it showed the alert.
        case configurationChange = "configuration_change"
    }

    public let kind: Kind
    /// `critical`, `high`, `medium` or `info`; critical events jump the sync queue.
    public let severity: String
    public let recordID: String
    public let detail: JSON
}

/// What an ingested record means, given what the store held before.
public struct EventRules: Sendable {
    /// Certificates expiring within this many days raise `certificate_expiry`.
    public var expiryWindowDays = 30
    /// Risk scores (0-10) at or above this raise `alert`.
    public var riskThreshold = 7.0

    public init(expiryWindowDays: Int = 30, riskThreshold: Double = 7.0) {
        self.expiryWindowDays = expiryWindowDays
        self.riskThreshold = riskThreshold
    }

    /// Events for a record that is new (`previous == nil`) or changed; unchanged records raise none.
    func events(for record: InventoryRecord, previous: StoredState?, now: Date) -> [EncodedEvent] {
        var events: [EncodedEvent] = []
        func detail(before: [(String, JSON)] = [], after: [(String, JSON)] = []) -> [UInt8] {
            Self.detail(of: record, before: before, after: after)
        }
        if previous == nil {
            events.append(EncodedEvent(kind: .discovery, severity: "info", detail: detail()))
        } else if let changes = complianceChanges(from: previous, to: record) {
            // High when a framework became non-compliant, although the record as a whole may have been already.
            let failing = changes.values.contains { $0["to"] == "non_compliant" }
            events.append(
                EncodedEvent(
                    kind: .complianceChange, severity: failing ? "high" : "info",
                    detail: detail(
                        before: [("changes", .object(changes)), ("from", JSON(previous?.compliance))],
                        after: [("to", JSON(record.complianceSummary))])
                ))
        }
        if let expiry = expiryDue(for: record, notified: previous?.expiryNotified, now: now) {
            events.append(expiry)
        }
        let weaknesses = self.weaknesses(of: record)
        // A changed record alerts only for what it was not alerted for before: a new weakness, a higher risk score;
        // not again for every unrelated change (a serial number an ITAM system filled in), nor for a risk score
        // that fell but is still high.
        let known = weaknesses.isEmpty ? [] : previous?.alertWeaknesses(self) ?? []
        let knownReasons = Set(known.map(\.reason))
        let knownRisk = known.compactMap(\.riskScore).max()
        func isNew(_ weakness: CryptoWeaknesses.Weakness) -> Bool {
            guard let risk = weakness.riskScore else { return !knownReasons.contains(weakness.reason) }
            return knownRisk.map { risk > $0 } ?? true
        }
        if weaknesses.contains(where: isNew) {
            let critical = (record.riskScore ?? 0) >= 9 || weaknesses.contains(where: \.critical)
            events.append(
                EncodedEvent(
                    kind: .alert, severity: critical ? "critical" : "high",
                    detail: detail(after: [("reasons", JSON(weaknesses.map(\.reason)))])))
        }
        if events.isEmpty, let changed = configurationChanges(from: previous, to: record, weaknesses: weaknesses) {
            events.append(
                EncodedEvent(
                    kind: .configurationChange, severity: "info", detail: detail(after: [("changed", JSON(changed))])))
        }
        return events
    }

    /// What changed in how the endpoint is secured, named by path, in order; nil when nothing did or nothing is known
    /// of the stored record. The crypto fields and the certificate; lists (cipher suites) as sets, since a scanner
    /// may list them in any order; compliance apart (it has its own event); the risk score only when it takes the
    /// record out of alert (a host fixed), not for every recomputation a scanner makes.
    private func configurationChanges(
        from previous: StoredState?, to record: InventoryRecord, weaknesses: [CryptoWeaknesses.Weakness]
    ) -> [String]? {
        guard let previous, let stored = previous.storedDocument else { return nil }
        func same(_ before: JSON?, _ after: JSON?) -> Bool {
            if let before = before?.arrayValue, let after = after?.arrayValue {
                return Set(before.map { $0.serialized() }) == Set(after.map { $0.serialized() })
            }
            return before == after
        }
        var changed: [String] = []
        for section in ["certificate", "crypto_implementation"] {
            let before = stored[path: section]?.objectValue ?? [:]
            let after = record.document[path: section]?.objectValue ?? [:]
            for field in Set(before.keys).union(after.keys).subtracting(["compliance_status", "risk_score"]).sorted()
            where !same(before[field], after[field]) {
                changed.append("\(section).\(field)")
            }
        }
        let risk = "crypto_implementation.risk_score"
        if stored[path: risk] != record.document[path: risk], weaknesses.isEmpty,
            !previous.alertWeaknesses(self).isEmpty
        {
            changed.append(risk)
        }
        return changed.isEmpty ? nil : changed
    }
}

extension EventRules {
    /// What makes `record` alert-worthy: a risk score at or above the threshold, then its weak configurations.
    func weaknesses(of record: InventoryRecord) -> [CryptoWeaknesses.Weakness] {
        var weaknesses = CryptoWeaknesses.of(record)
        if let risk = record.riskScore, risk >= riskThreshold {
            let reason =
                "risk score \(JSON.number(risk).serialized()) is at or above \(JSON.number(riskThreshold).serialized())"
            weaknesses.insert(CryptoWeaknesses.Weakness(reason: reason, critical: false, riskScore: risk), at: 0)
        }
        return weaknesses
    }

    /// `certificate_expiry` for a certificate within the window, once per expiry date: whether the record is new,
    /// changed or the same as before, since a certificate drifts into the window by the clock alone.
    func expiryDue(for record: InventoryRecord, notified: String?, now: Date) -> EncodedEvent? {
        guard let expiry = record.certificateExpiry, expiry != notified,
            let days = DaysRemaining.until(expiry, now: now)
        else { return nil }
        guard days <= expiryWindowDays else { return nil }
        return EncodedEvent(
            kind: .certificateExpiry, severity: days < 0 ? "critical" : days <= 7 ? "high" : "medium",
            detail: Self.detail(of: record, before: [("days_remaining", JSON(days)), ("expires", .string(expiry))]))
    }

    /// Every detail names the asset; members come in key order (see `OrderedObject`): those before `hostname`,
    /// then the asset's, then those after `protocol`.
    /// Each framework whose status changed, `{"hipaa": {"from": "compliant", "to": "non_compliant"}}`; nil when
    /// none did. Compared framework by framework: one failing while another recovers leaves the summary as it was.
    private func complianceChanges(from previous: StoredState?, to record: InventoryRecord) -> [String: JSON]? {
        guard let previous else { return nil }
        let path = "crypto_implementation.compliance_status"
        guard let stored = previous.storedDocument else {  // only the summary is known
            guard previous.compliance != record.complianceSummary else { return nil }
            return [:]
        }
        let before = stored[path: path]?.objectValue ?? [:]
        let after = record.document[path: path]?.objectValue ?? [:]
        var changes: [String: JSON] = [:]
        for framework in Set(before.keys).union(after.keys) where before[framework] != after[framework] {
            changes[framework] = ["from": before[framework] ?? .null, "to": after[framework] ?? .null]
        }
        return changes.isEmpty ? nil : changes
    }

    static func detail(of record: InventoryRecord, before: [(String, JSON)] = [], after: [(String, JSON)] = [])
        -> [UInt8]
    {
        var object = OrderedObject()
        for (key, value) in before { object.set(key, value) }
        object.set("hostname", JSON(record.hostname ?? record.ipAddress))
        object.set("port", JSON(record.port))
        object.set("protocol", JSON(record.protocolName))
        for (key, value) in after { object.set(key, value) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        object.write(to: &bytes)
        return bytes
    }
}

/// An event ready to store, its detail already serialised (keys in byte order, as `JSON.serialized()` writes them).
struct EncodedEvent: Sendable {
    let kind: InventoryEvent.Kind
    let severity: String
    let detail: [UInt8]
}

/// What the store knew about a record before an ingest, for change detection.
struct StoredState: Sendable {
    let contentHash: String
    var compliance: String?
    var certificateExpiry: String?
    var discoveredAt: String? = nil
    /// The certificate expiry a `certificate_expiry` event was last raised for.
    var expiryNotified: String? = nil
    /// The hash of the record as the last ingest received it, when kept identity fields made the stored one differ.
    var scanHash: String? = nil
    /// The stored document (with `discovered_at`); read only for records that changed.
    var document: JSON? = nil
    /// The record this ingest wrote under the key, for a later line with the same key (rare: worked out then).
    var written: InventoryRecord? = nil

    var storedDocument: JSON? { document ?? written?.document }

    /// What the stored record alerted for; worked out only when the new one is alert-worthy.
    func alertWeaknesses(_ rules: EventRules) -> [CryptoWeaknesses.Weakness] {
        if let written { return rules.weaknesses(of: written) }
        guard let document, case .valid(let stored) = RecordValidator().validate(document, at: "stored record")
        else { return [] }
        return rules.weaknesses(of: stored)
    }
}
