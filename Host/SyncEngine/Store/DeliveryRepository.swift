import Foundation
import GRDB
import Inventory
import JSONCore
import Store

/// A record waiting to be pushed: changed since the integration last acknowledged it (or all, for a full sync).
public struct PendingRecord: Sendable {
    public let id: String
    /// The document as stored: a push's mapping reads its fields straight from the bytes.
    public let stored: StoredDocument
    public let contentHash: String
    public let externalID: String?

    /// The document as a mapping sees it (built on first use).
    public var document: JSON { stored.json }

    public var sent: SentRecord { SentRecord(id: id, contentHash: contentHash, externalID: externalID) }
}

/// Which content of a record a push sent, and the target's id for it when known: what a dead letter is kept against.
public struct SentRecord: Sendable {
    public let id: String
    public let contentHash: String
    public let externalID: String?
}

/// A record a target refused for data reasons, kept with its payload until replayed or discarded.
public struct DeadLetter: Sendable, Equatable {
    public let id: Int64
    public let integration: String
    public let tenant: String
    public let recordID: String
    public let payload: JSON
    public let errorCode: String
    public let error: String
    public let attempts: Int
    public let state: String
    public let createdAt: String
    public let updatedAt: String
}

/// The mapping a push sends with, and its stored text: a commit of its acknowledgements compares the text with the
/// integration's, and parses the stored one only when the two differ (every commit used to parse it).
public struct SentMapping: Sendable {
    let json: JSON
    let text: String

    public init(_ json: JSON) { (self.json, text) = (json, json.serialized()) }

    /// Whether `integration`'s mapping is no longer this one (changed, or the integration is gone).
    func isOutdated(_ integration: String, _ db: Database) throws -> Bool {
        let statement = try db.cachedStatement(sql: "SELECT mapping FROM integration WHERE id = ?")
        guard let stored = try String.fetchOne(statement, arguments: [integration]) else { return true }
        return stored != text && (try? JSON.parse(stored)) != json
    }
}

/// Per-record delivery state: what each integration acknowledged (delta sync) and what it refused (dead letters).
public struct DeliveryRepository: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// Records to push, in id order after `cursor`: those whose content hash differs from the acknowledged one,
    /// or whose sent fields the clock has made untrue by `now` (or every record with `full`), optionally only among
    /// `ids`. The delta index holds the hash, so unchanged records are skipped without reading their rows (SQLite's
    /// planner, left alone, takes the narrower id index). `reader` is a push's snapshot; the pool by default.
    public func pending(
        integration: String, tenant: String, full: Bool, ids: [String]? = nil, after cursor: String = "", limit: Int,
        now: Date = Date(), reader: (any DatabaseReader)? = nil
    ) throws -> [PendingRecord] {
        var sql = """
            SELECT r.id, r.document, r.discovered_at, r.content_hash, s.external_id
            FROM inventory_record r INDEXED BY inventory_record_delta
                LEFT JOIN sync_state s ON s.integration = ? AND s.record_id = r.id
            WHERE r.tenant = ? AND r.id > ? AND (\(Self.due))
            """
        if let ids { sql += " AND r.id IN (\(Store.placeholders(ids.count)))" }
        sql += " ORDER BY r.id LIMIT ?"
        return try (reader ?? store.pool).read { db in
            // A push reads a page per batch: the plain query's statement is kept, an id list's is one-off.
            let statement = try ids == nil ? db.cachedStatement(sql: sql) : db.makeStatement(sql: sql)
            var records: [PendingRecord] = []
            records.reserveCapacity(limit)
            try statement.forEachRow(
                binding: { bind in
                    bind.text(integration)
                    bind.text(tenant)
                    bind.text(cursor)
                    bind.integer(full ? 1 : 0)
                    bind.text(ISODates.dateTime(now))
                    for id in ids ?? [] { bind.text(id) }
                    bind.integer(limit)
                }
            ) { row in records.append(Self.pendingRecord(row)) }
            return records
        }
    }

    /// Every record of the assets named by host name, or by address for records without one, with what
    /// `integration` last acknowledged for each: a target that holds one item per asset gets an asset's records
    /// as one.
    /// `namesBeginning` are short names: the records whose host name begins with one and a dot come too. `reader`
    /// is a push's snapshot; the pool by default.
    public func assetRecords(
        integration: String, tenant: String, hostnames: [String], namesBeginning shortNames: [String] = [],
        addresses: [String], reader: (any DatabaseReader)? = nil
    ) throws -> [PendingRecord] {
        guard !(hostnames.isEmpty && addresses.isEmpty) else { return [] }
        func list(_ values: [String]) -> String { values.isEmpty ? "(NULL)" : "(\(Store.placeholders(values.count)))" }
        // `web01.` up to `web01/` (the character after the dot): a range the host name index answers.
        let beginning = shortNames.map { _ in " OR (r.hostname > ? AND r.hostname < ?)" }.joined()
        return try (reader ?? store.pool).read { db in
            let statement = try db.makeStatement(
                sql: """
                    SELECT r.id, r.document, r.discovered_at, r.content_hash, s.external_id
                    FROM inventory_record r LEFT JOIN sync_state s ON s.integration = ? AND s.record_id = r.id
                    WHERE r.tenant = ? AND (r.hostname IN \(list(hostnames))\(beginning)
                        OR (r.hostname IS NULL AND r.ip_address IN \(list(addresses))))
                    ORDER BY r.id
                    """)
            var records: [PendingRecord] = []
            try statement.forEachRow(
                binding: { bind in
                    bind.text(integration)
                    bind.text(tenant)
                    for value in hostnames { bind.text(value) }
                    for short in shortNames {
                        bind.text(short + ".")
                        bind.text(short + "/")
                    }
                    for value in addresses { bind.text(value) }
                }
            ) { row in records.append(Self.pendingRecord(row)) }
            return records
        }
    }

    /// A row of `SELECT r.id, r.document, r.discovered_at, r.content_hash, s.external_id`.
    private static func pendingRecord(_ row: SteppedRow) -> PendingRecord {
        PendingRecord(
            id: row.text(0) ?? "",
            stored: StoredDocument(bytes: row.withBytes(1) { $0.map(Array.init) ?? [] }, discoveredAt: row.text(2)),
            contentHash: row.text(3) ?? "", externalID: row.text(4))
    }

    /// Whether record `r` is due for a push, given its state `s`; binds "everything" (a full sync), then now.
    private static let due = """
        ? OR s.record_id IS NULL OR s.content_hash != r.content_hash OR s.refresh_after <= ?
        """

    /// How many records a delta push would send now (for status and benchmarks).
    public func pendingCount(integration: String, tenant: String, now: Date = Date()) throws -> Int {
        try store.pool.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM inventory_record r INDEXED BY inventory_record_delta
                        LEFT JOIN sync_state s ON s.integration = ? AND s.record_id = r.id
                    WHERE r.tenant = ? AND (\(Self.due))
                    """, arguments: [integration, tenant, false, ISODates.dateTime(now)])!
        }
    }

    public struct Acknowledgement: Sendable {
        public let recordID: String
        public let contentHash: String
        public let externalID: String?
        /// When the fields sent stop being true by the clock alone; nil if they never do.
        public let refreshAfter: Date?

        public init(recordID: String, contentHash: String, externalID: String?, refreshAfter: Date? = nil) {
            self.recordID = recordID
            self.contentHash = contentHash
            self.externalID = externalID
            self.refreshAfter = refreshAfter
        }
    }

    /// How far a full push got once the outcomes recorded with it are committed, and its counts at that point.
    public struct Progress: Sendable {
        public let job: Int64
        /// Nil for a delta push, which needs none: what was acknowledged is no longer pending.
        public let cursor: String?
        public let stats: JSON

        public init(job: Int64, cursor: String?, stats: JSON) {
            self.job = job
            self.cursor = cursor
            self.stats = stats
        }
    }

    /// Records the target accepted, and dead letters for the ones it refused, in one transaction, with the push's
    /// progress (in the same transaction, so the job never goes on past an outcome that was lost). With `lease`,
    /// nothing is recorded once the job is no longer the runner's (throws `JobQueue.Lost`): a removed
    /// integration's sync state would otherwise come back and mislead one added again under its name.
    public func record(
        acknowledged: [Acknowledgement], refused: [(record: SentRecord, payload: JSON, code: String, error: String)],
        progress: Progress? = nil, lease: JobQueue.Lease? = nil, integration: String, tenant: String,
        sentWith mapping: SentMapping? = nil, at now: Date = Date()
    ) throws {
        let stamp = ISODates.dateTime(now)
        try store.pool.write { db in
            try lease?.check(in: db)
            if let progress { try JobQueue.save(progress, db) }
            // Sent with a mapping changed since (`integrations update --mapping` while the push ran): delivered, with
            // the target's id kept, but as the old mapping made them, so they stay pending for the next push.
            let outdated = try mapping.map { try $0.isOutdated(integration, db) } ?? false
            // Fifty rows a statement: stepping one row at a time cost a fifth more than the inserts themselves.
            func upsertStatement(rows: Int) throws -> Statement {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO sync_state (integration, record_id, content_hash, status, external_id, synced_at,
                            refresh_after)
                        VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ","))
                        ON CONFLICT (integration, record_id) DO UPDATE SET content_hash = excluded.content_hash,
                            status = excluded.status, external_id = COALESCE(excluded.external_id, sync_state.external_id),
                            synced_at = excluded.synced_at, refresh_after = excluded.refresh_after
                        """)
            }
            let upsert = try upsertStatement(rows: 1)
            let fifty = try upsertStatement(rows: 50)
            var start = 0
            while start < acknowledged.count {
                let rows = acknowledged.count - start >= 50 ? 50 : 1
                try (rows == 1 ? upsert : fifty).execute { bind in
                    for ack in acknowledged[start..<start + rows] {
                        bind.text(integration)
                        bind.text(ack.recordID)
                        bind.text(outdated ? "" : ack.contentHash)
                        bind.text("synced")
                        bind.text(ack.externalID)
                        bind.text(stamp)
                        bind.text(ack.refreshAfter.map(ISODates.dateTime))
                    }
                }
                start += rows
            }
            // Accepted records resolve their dead letters. Most pushes have none open: asking costs an index probe,
            // building and preparing the statement with an id list per commit costs more than the upserts above.
            let openLetters = try db.cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM dead_letter WHERE integration = ? AND state IN ('open', 'replaying'))
                    """)
            if !acknowledged.isEmpty, try Bool.fetchOne(openLetters, arguments: [integration]) ?? false {
                let ids = acknowledged.map(\.recordID)
                try db.execute(
                    sql: """
                        UPDATE dead_letter SET state = 'resolved', updated_at = ? WHERE integration = ?
                            AND state IN ('open', 'replaying')
                            AND record_id IN (\(Store.placeholders(ids.count)))
                        """,
                    arguments: StatementArguments([stamp, integration] + ids))
            }
            for refusal in refused {
                // The record is parked until it changes or is replayed: the delta skips its current content.
                try upsert.execute(
                    arguments: [
                        integration, refusal.record.id, refusal.record.contentHash, "dead_letter",
                        refusal.record.externalID, stamp, nil,
                    ])
                let existing = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT id FROM dead_letter WHERE integration = ? AND record_id = ? AND state IN ('open', 'replaying')
                        """,
                    arguments: [integration, refusal.record.id])
                if let existing {
                    try db.execute(
                        sql: """
                            UPDATE dead_letter SET payload = ?, error_code = ?, error = ?, attempts = attempts + 1,
                                state = 'open', updated_at = ?
                            WHERE id = ?
                            """,
                        arguments: [refusal.payload.serialized(), refusal.code, refusal.error, stamp, existing])
                } else {
                    try db.execute(
                        sql: """
                            INSERT INTO dead_letter (integration, tenant, record_id, payload, error_code, error, attempts, state,
                                created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 'open', ?, ?)
                            """,
                        arguments: [
                            integration, tenant, refusal.record.id, refusal.payload.serialized(), refusal.code,
                            refusal.error, stamp, stamp,
                        ])
                }
            }
        }
    }

    public func deadLetters(tenant: String? = nil, integration: String? = nil, state: String? = "open") throws
        -> [DeadLetter]
    {
        try store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM dead_letter WHERE (? IS NULL OR tenant = ?) AND (? IS NULL OR integration = ?)
                        AND (? IS NULL OR state = ?) ORDER BY id
                    """,
                arguments: [tenant, tenant, integration, integration, state, state]
            ).map(DeadLetter.init(row:))
        }
    }

    public func deadLetter(_ id: Int64) throws -> DeadLetter? {
        try store.pool.read {
            try Row.fetchOne($0, sql: "SELECT * FROM dead_letter WHERE id = ?", arguments: [id]).map(
                DeadLetter.init(row:))
        }
    }

    /// Marks dead letters discarded and stops tracking their records (each is pushed again only when it changes).
    /// Changes none if one of them is missing or settled.
    public func discard(_ ids: [Int64]) throws {
        try store.pool.write { db in
            try Self.requireUnsettled(ids, db, to: "discard")
            try db.execute(
                sql:
                    "UPDATE dead_letter SET state = 'discarded', updated_at = ? WHERE id IN (\(Store.placeholders(ids.count)))",
                arguments: StatementArguments(
                    [ISODates.dateTime(Date())] + ids.map { $0 as any DatabaseValueConvertible }))
        }
    }

    /// Forgets the acknowledgement of dead letters' records so a push sends them again. Changes none if one of them
    /// is missing or settled: a resolved letter's record is no longer refused, and a push would select nothing for
    /// it, leaving the letter `replaying` for ever.
    public func prepareReplay(_ letters: [DeadLetter]) throws {
        try store.pool.write { db in
            try Self.requireUnsettled(letters.map(\.id), db, to: "replay")
            for letter in letters {
                try db.execute(
                    sql: "DELETE FROM sync_state WHERE integration = ? AND record_id = ? AND status = 'dead_letter'",
                    arguments: [letter.integration, letter.recordID])
                try db.execute(
                    sql: "UPDATE dead_letter SET state = 'replaying', updated_at = ? WHERE id = ?",
                    arguments: [ISODates.dateTime(Date()), letter.id])
            }
        }
    }

    /// Throws unless each of `ids` is a dead letter still open (or already being replayed).
    private static func requireUnsettled(_ ids: [Int64], _ db: Database, to action: String) throws {
        for id in ids {
            let state = try String.fetchOne(db, sql: "SELECT state FROM dead_letter WHERE id = ?", arguments: [id])
            guard let state else { throw IntegrationRepository.Problem(description: "no dead letter \(id)") }
            guard state == "open" || state == "replaying" else {
                throw IntegrationRepository.Problem(
                    description: "dead letter \(id) is \(state), so there is nothing to \(action)")
            }
        }
    }

    public func acknowledgedCount(integration: String) throws -> Int {
        try store.pool.read {
            try Int.fetchOne(
                $0, sql: "SELECT COUNT(*) FROM sync_state WHERE integration = ? AND status = 'synced'",
                arguments: [integration])!
        }
    }

    public func externalID(integration: String, recordID: String) throws -> String? {
        try store.pool.read {
            try String.fetchOne(
                $0, sql: "SELECT external_id FROM sync_state WHERE integration = ? AND record_id = ?",
                arguments: [integration, recordID])
        }
    }
}

extension DeadLetter {
    init(row: Row) {
        self.init(
            id: row["id"], integration: row["integration"], tenant: row["tenant"], recordID: row["record_id"],
            payload: (try? JSON.parse(row["payload"] as String)) ?? .null, errorCode: row["error_code"],
            error: row["error"],
            attempts: row["attempts"], state: row["state"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}
