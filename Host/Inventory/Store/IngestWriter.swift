import Foundation
import GRDB
import JSONCore
import Store

/// Writes one ingest's batches inside its transaction: inserts new records, updates changed ones, skips unchanged
/// ones (moving their last-seen time), and stores the events they raise.
struct IngestWriter {
    let tenant: String
    let rules: EventRules
    let now: Date
    private let stamp: String
    /// The tenant held no records when the ingest began: a record is new unless this ingest already wrote its id,
    /// so the first load of a tenant never looks its records up.
    private let tenantWasEmpty: Bool
    private var written: Set<String> = []
    /// Discovery times are compared as text (ISO-8601 in UTC sorts as time): later than this is not plausible.
    private let latestPlausible: String
    private let validator = RecordValidator()

    init(tenant: String, rules: EventRules, now: Date, in db: Database) throws {
        self.tenant = tenant
        self.rules = rules
        self.now = now
        stamp = now.formatted(.iso8601)
        latestPlausible = RecordValidator.latestDiscovery(at: now)
        tenantWasEmpty = try !InventoryRepository.hasRecords(tenant: tenant, in: db)
    }

    mutating func apply(_ batch: [PreparedRecord], in db: Database, counts: inout IngestCounts) throws {
        guard !batch.isEmpty else { return }
        var known = tenantWasEmpty ? [:] : try states(of: batch, in: db)
        let statements = try Statements(db)
        for prepared in batch {
            var record = prepared.record
            counts.received += 1
            var previous = known[record.id]
            if previous == nil, tenantWasEmpty, written.contains(record.id) {
                previous = try states(of: [prepared], in: db)[record.id]  // a key this ingest already wrote
            }
            // Discovered before what the store holds (an older export imported again): it does not roll it back.
            // A stored time in the future (kept before such times were refused) holds nothing back.
            if let seenAt = record.discoveredAt, let storedAt = previous?.discoveredAt, seenAt < storedAt,
                storedAt <= latestPlausible
            {
                counts.older += 1
                continue
            }
            // The same as the last scan, which the store holds with identity fields kept: unchanged, unread.
            let scanned = record.contentHash
            let sameAsLastScan = previous?.scanHash == scanned
            if !sameAsLastScan, let stored = previous?.storedDocument, previous?.contentHash != scanned,
                let merged = KeptIdentity.merge(record, stored: stored, validator: validator)
            {
                record = merged
            }
            if let previous, previous.contentHash == record.contentHash || sameAsLastScan {
                counts.unchanged += 1
                if !sameAsLastScan, scanned != record.contentHash {
                    try statements.scanned.execute { bind in  // the next rescan needs no row read
                        bind.text(scanned)
                        bind.text(tenant)
                        bind.text(record.id)
                    }
                    known[record.id]?.scanHash = scanned
                }
                if let seenAt = record.discoveredAt, seenAt != previous.discoveredAt {
                    try statements.seen.execute { bind in
                        bind.text(seenAt)
                        bind.text(tenant)
                        bind.text(record.id)
                    }
                    known[record.id]?.discoveredAt = seenAt  // a later line with the key compares with this one
                }
                // The same certificate, now within the window by the clock alone.
                if let expiry = rules.expiryDue(for: record, notified: previous.expiryNotified, now: now) {
                    try store([expiry], of: record, with: statements, counts: &counts)
                    try statements.notified.execute { bind in
                        bind.text(record.certificateExpiry)
                        bind.text(tenant)
                        bind.text(record.id)
                    }
                    known[record.id]?.expiryNotified = record.certificateExpiry
                }
                continue
            }
            let raised =
                (previous == nil ? prepared.eventsIfNew : nil)
                ?? rules.events(for: record, previous: previous, now: now)
            let notified =
                raised.contains { $0.kind == .certificateExpiry } ? record.certificateExpiry : previous?.expiryNotified
            if previous == nil {
                try statements.insert.execute { bind in
                    bind.text(tenant)
                    bind.text(record.id)
                    Self.columns(of: record, into: &bind)
                    bind.text(notified)
                    bind.text(scanned == record.contentHash ? nil : scanned)
                    bind.text(stamp)
                    bind.text(stamp)
                }
                counts.inserted += 1
            } else {
                try statements.update.execute { bind in
                    Self.columns(of: record, into: &bind)
                    bind.text(notified)
                    bind.text(scanned == record.contentHash ? nil : scanned)
                    bind.text(stamp)
                    bind.text(tenant)
                    bind.text(record.id)
                }
                counts.updated += 1
            }
            try store(raised, of: record, with: statements, counts: &counts)
            // A later line of the same file with the same key compares with this one.
            if tenantWasEmpty {
                written.insert(record.id)
            } else {
                known[record.id] = StoredState(
                    contentHash: record.contentHash, compliance: record.complianceSummary,
                    certificateExpiry: record.certificateExpiry, discoveredAt: record.discoveredAt,
                    expiryNotified: notified, scanHash: scanned == record.contentHash ? nil : scanned,
                    written: record)
            }
        }
    }

    private func store(
        _ events: [EncodedEvent], of record: InventoryRecord, with statements: Statements, counts: inout IngestCounts
    ) throws {
        for event in events {
            try statements.event.execute { bind in
                bind.text(tenant)
                bind.text(event.kind.rawValue)
                bind.text(event.severity)
                bind.text(record.id)
                bind.text(bytes: event.detail)
                bind.text(stamp)
            }
            counts.events[event.kind.rawValue, default: 0] += 1
        }
    }

    /// The columns insert and update share, in their order.
    private static func columns(of record: InventoryRecord, into bind: inout Binder) {
        bind.text(record.naturalKey)
        bind.text(record.hostname)
        bind.text(record.ipAddress)
        bind.text(record.environment)
        bind.text(record.serialNumber)
        bind.text(record.macAddress)
        bind.text(record.protocolName)
        bind.text(record.protocolVersion)
        bind.integer(record.port)
        bind.integer(record.keySize)
        bind.real(record.riskScore)
        bind.text(record.complianceSummary)
        bind.text(record.certificateExpiry)
        bind.text(record.discoveredAt)
        bind.text(bytes: record.content)
        bind.text(record.contentHash)
    }

    /// What the store holds for `batch`. Hash, last-seen time and the expiry last announced come from the delta
    /// index alone, without reading the table; the fields events compare are read only for records whose content
    /// changed.
    private func states(of batch: [PreparedRecord], in db: Database) throws -> [String: StoredState] {
        guard !batch.isEmpty else { return [:] }
        var states: [String: StoredState] = [:]
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT id, content_hash, discovered_at, expiry_notified, scan_hash FROM inventory_record
                INDEXED BY inventory_record_delta
                WHERE tenant = ? AND id IN (\(Store.placeholders(batch.count)))
                """,
            arguments: StatementArguments([tenant] + batch.map(\.record.id)))
        while let row = try rows.next() {
            states[row[0]] = StoredState(
                contentHash: row[1], discoveredAt: row[2], expiryNotified: row[3], scanHash: row[4])
        }
        let changed = batch.map(\.record).filter { record in
            states[record.id].map { $0.contentHash != record.contentHash && $0.scanHash != record.contentHash } ?? false
        }
        guard !changed.isEmpty else { return states }
        let previous = try Row.fetchCursor(
            db,
            sql: """
                SELECT id, compliance, certificate_expires, document, discovered_at FROM inventory_record
                WHERE tenant = ? AND id IN (\(Store.placeholders(changed.count)))
                """,
            arguments: StatementArguments([tenant] + changed.map(\.id)))
        while let row = try previous.next() {
            let id: String = row[0]
            states[id]?.compliance = row[1]
            states[id]?.certificateExpiry = row[2]
            // The stored record itself: identity fields to keep, and the weaknesses already alerted on.
            guard let text: String = row[3], case .object(var document) = try? JSON.parse(text) else { continue }
            if let seen: String = row[4] { document["discovered_at"] = .string(seen) }
            states[id]?.document = .object(document)
        }
        return states
    }

    /// The prepared statements, cached by the connection.
    private struct Statements {
        let insert: Statement
        let update: Statement
        let seen: Statement
        let notified: Statement
        let scanned: Statement
        let event: Statement

        init(_ db: Database) throws {
            insert = try db.cachedStatement(
                sql: """
                    INSERT INTO inventory_record (tenant, id, natural_key, hostname, ip_address, environment,
                        serial_number, mac_address, protocol, protocol_version, port, key_size, risk_score, compliance,
                        certificate_expires, discovered_at, document, content_hash, expiry_notified, scan_hash,
                        created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            update = try db.cachedStatement(
                sql: """
                    UPDATE inventory_record SET natural_key = ?, hostname = ?, ip_address = ?, environment = ?,
                        serial_number = ?, mac_address = ?, protocol = ?, protocol_version = ?, port = ?, key_size = ?,
                        risk_score = ?, compliance = ?, certificate_expires = ?,
                        discovered_at = COALESCE(?, discovered_at), document = ?,
                        content_hash = ?, expiry_notified = ?, scan_hash = ?, updated_at = ?
                    WHERE tenant = ? AND id = ?
                    """)
            seen = try db.cachedStatement(
                sql: "UPDATE inventory_record SET discovered_at = ? WHERE tenant = ? AND id = ?")
            notified = try db.cachedStatement(
                sql: "UPDATE inventory_record SET expiry_notified = ? WHERE tenant = ? AND id = ?")
            scanned = try db.cachedStatement(
                sql: "UPDATE inventory_record SET scan_hash = ? WHERE tenant = ? AND id = ?")
            event = try db.cachedStatement(
                sql: """
                    INSERT INTO inventory_event (tenant, type, severity, record_id, detail, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
        }
    }
}
