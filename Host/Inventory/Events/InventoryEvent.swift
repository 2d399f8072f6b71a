import Foundation
import JSONCore

/// Something the sync engine and webhooks react to, persisted with the record it concerns.
public struct InventoryEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case discovery
        case complianceChange = "compliance_change"
        case certificateExpiry = "certificate_expiry"
        case alert
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
    func events(for record: InventoryRecord, previous: StoredState?, now: Date) -> [InventoryEvent] {
        var events: [InventoryEvent] = []
        let summary: JSON = [
            "hostname": JSON(record.hostname ?? record.ipAddress), "protocol": JSON(record.protocolName),
            "port": JSON(record.port),
        ]
        if previous == nil {
            events.append(InventoryEvent(kind: .discovery, severity: "info", recordID: record.id, detail: summary))
        } else if previous?.compliance != record.complianceSummary {
            events.append(
                InventoryEvent(
                    kind: .complianceChange, severity: record.complianceSummary == "non_compliant" ? "high" : "info",
                    recordID: record.id,
                    detail: merge(summary, ["from": JSON(previous?.compliance), "to": JSON(record.complianceSummary)])))
        }
        if let expiry = record.certificateExpiry, expiry != previous?.certificateExpiry,
            let date = ISODates.parse(expiry)
        {
            let days = Int((date.timeIntervalSince(now) / 86_400).rounded(.down))
            if days <= expiryWindowDays {
                events.append(
                    InventoryEvent(
                        kind: .certificateExpiry, severity: days < 0 ? "critical" : days <= 7 ? "high" : "medium",
                        recordID: record.id,
                        detail: merge(summary, ["expires": .string(expiry), "days_remaining": JSON(days)])))
            }
        }
        var reasons = CryptoWeaknesses.of(record)
        if let risk = record.riskScore, risk >= riskThreshold {
            reasons.insert(
                "risk score \(JSON.number(risk).serialized()) is at or above \(JSON.number(riskThreshold).serialized())",
                at: 0)
        }
        if !reasons.isEmpty {
            let critical =
                (record.riskScore ?? 0) >= 9
                || reasons.contains { $0.contains("obsolete") || $0.contains("no encryption") }
            events.append(
                InventoryEvent(
                    kind: .alert, severity: critical ? "critical" : "high", recordID: record.id,
                    detail: merge(summary, ["reasons": JSON(reasons)])))
        }
        return events
    }

    private func merge(_ base: JSON, _ extra: [String: JSON]) -> JSON {
        .object((base.objectValue ?? [:]).merging(extra) { _, new in new })
    }
}

/// What the store knew about a record before an ingest, for change detection.
struct StoredState: Sendable {
    let contentHash: String
    let compliance: String?
    let certificateExpiry: String?
    var discoveredAt: String? = nil
}
