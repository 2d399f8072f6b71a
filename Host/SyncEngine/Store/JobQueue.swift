import Foundation
import GRDB
import Inventory
import JSONCore
import Store

/// The durable job queue in the store. A runner leases one job at a time (highest priority first, oldest first);
/// at most one job per integration runs at once, so two runners never push the same records together. A lease
/// whose runner's process is gone, or that expired, returns the job to the queue (see `LeaseHolder`).
public struct JobQueue: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    @discardableResult
    public func enqueue(
        integration: String, tenant: String, kind: Job.Kind, trigger: Job.Trigger, full: Bool = false,
        priority: Int = Job.Priority.normal, recordIDs: [String]? = nil, notBefore: Date? = nil
    ) throws -> Int64 {
        try store.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO job (integration, tenant, kind, trigger, full, priority, state, record_ids, not_before, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                    """,
                arguments: [
                    integration, tenant, kind.rawValue, trigger.rawValue, full, priority,
                    recordIDs.map { JSON($0).serialized() }, notBefore.map(IntegrationRepository.milliseconds),
                    ISODates.dateTime(Date()),
                ])
            return db.lastInsertedRowID
        }
    }

    /// A waiting job of `integration` and `kind` that does what a new one asked for now would (every pending record,
    /// and all of them if `full`), made due now, at least as urgent as `priority`, with its attempts counted afresh
    /// (asked for again, it is tried again); nil if there is none. A sync run by hand joins it: a new job behind it
    /// would find nothing left to do, and report that instead of what was done.
    public func joinWaiting(integration: String, kind: Job.Kind, full: Bool, priority: Int) throws -> Int64? {
        try store.pool.write { db in
            guard
                let id = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT id FROM job WHERE integration = ? AND kind = ? AND state = 'queued' AND record_ids IS NULL
                            AND (full = 1 OR ? = 0) ORDER BY id LIMIT 1
                        """,
                    arguments: [integration, kind.rawValue, full])
            else { return nil }
            try db.execute(
                sql: "UPDATE job SET not_before = NULL, priority = MAX(priority, ?), attempts = 0 WHERE id = ?",
                arguments: [priority, id])
            return id
        }
    }

    /// Queues a real-time push of `recordIDs`, or adds them to the one still waiting (raising its priority to the
    /// more urgent): while a target is down, each ingest's events would otherwise add a job that retries on its own.
    /// Returns the new job's id, or nil when the records joined a waiting job.
    public func enqueueRealtime(integration: String, tenant: String, priority: Int, recordIDs: [String]) throws
        -> Int64?
    {
        try store.pool.write { db in
            if let waiting = try Row.fetchOne(
                db,
                sql: """
                    SELECT id, record_ids FROM job WHERE integration = ? AND kind = 'push' AND trigger = 'realtime'
                        AND state = 'queued' AND record_ids IS NOT NULL ORDER BY id DESC LIMIT 1
                    """, arguments: [integration]),
                let listed = (try? JSON.parse(waiting["record_ids"] as String))?.arrayValue?.compactMap(\.stringValue)
            {
                var seen = Set(listed)
                let merged = listed + recordIDs.filter { seen.insert($0).inserted }
                if merged.count <= Self.realtimeRecordsPerJob {
                    try db.execute(
                        sql: "UPDATE job SET record_ids = ?, priority = MAX(priority, ?) WHERE id = ?",
                        arguments: [JSON(merged).serialized(), priority, waiting["id"] as Int64])
                    return nil
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO job (integration, tenant, kind, trigger, full, priority, state, record_ids, created_at)
                    VALUES (?, ?, 'push', 'realtime', 0, ?, 'queued', ?, ?)
                    """,
                arguments: [integration, tenant, priority, JSON(recordIDs).serialized(), ISODates.dateTime(Date())])
            return db.lastInsertedRowID
        }
    }

    /// Makes the waiting jobs of `plugin`'s integrations due now: a new build of it loaded, so jobs held back by
    /// the old one (quarantined, not loaded) go at once rather than when their retry comes.
    public func makeDue(plugin: String) throws {
        try store.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET not_before = NULL WHERE state = 'queued' AND not_before IS NOT NULL
                        AND integration IN (SELECT id FROM integration WHERE plugin_id = ?)
                    """, arguments: [plugin])
        }
    }

    /// The most records one real-time job takes.
    public static let realtimeRecordsPerJob = 1000

    /// Leases the next runnable job (of `integration` only, if given) for `owner` until `now + lease`, or returns
    /// nil. With `runnerShare` (a host's runners less one): a job whose plugin already runs that many jobs waits, so a
    /// plugin that hangs holds at most that many runners and the others go on with other plugins' jobs; and jobs
    /// below critical priority take at most that many runners in all, so one is always free for an alert's push
    /// (which may take it even from a plugin at its share): another tenant's bulk refresh never holds it back.
    public func lease(
        owner: String, now: Date, lease: Duration, integration: String? = nil, runnerShare: Int? = nil
    ) throws -> Job? {
        let nowMilliseconds = IntegrationRepository.milliseconds(now)
        let owner = try LeaseHolder.of(store).owner(owner)
        return try store.pool.write { db in
            try Row.fetchOne(
                db,
                sql: """
                    UPDATE job SET state = 'running', lease_owner = ?, lease_expires = ?, attempts = attempts + 1,
                        started_at = ?
                    WHERE id = (
                        SELECT j.id FROM job j JOIN integration i ON i.id = j.integration
                        WHERE j.state = 'queued' AND (j.not_before IS NULL OR j.not_before <= ?)
                            AND (? IS NULL OR j.integration = ?) AND i.enabled = 1 AND i.paused_reason IS NULL
                            AND NOT EXISTS (SELECT 1 FROM job r WHERE r.integration = j.integration AND r.state = 'running')
                            AND (? IS NULL OR (
                                SELECT COUNT(*) FROM job r JOIN integration ri ON ri.id = r.integration
                                WHERE r.state = 'running' AND ri.plugin_id = i.plugin_id) < ? + (j.priority >= ?))
                            AND (? IS NULL OR j.priority >= ? OR (SELECT COUNT(*) FROM job r WHERE r.state = 'running') < ?)
                        ORDER BY j.priority DESC, j.id LIMIT 1)
                    RETURNING *
                    """,
                arguments: [
                    owner, nowMilliseconds + Int64(lease.components.seconds * 1000), ISODates.dateTime(now),
                    nowMilliseconds, integration, integration, runnerShare, runnerShare, Job.Priority.critical,
                    runnerShare,
                    Job.Priority.critical, runnerShare,
                ]
            ).map(Job.init(row:))
        }
    }

    /// A runner's hold on the job it leased: what the runner writes about the job (acknowledgements, progress, the
    /// outcome) is kept only while the job still runs under this lease. A job removed with its integration, or
    /// handed to another runner, takes none of it.
    public struct Lease: Sendable {
        public let job: Int64
        /// The owner as stamped on the job (`runner#token`).
        let owner: String

        /// Throws `Lost` unless the lease is still held; call inside the transaction that writes for the job.
        func check(in db: Database) throws {
            // Checked on every commit of a push's acknowledgements: the statement is kept.
            let statement = try db.cachedStatement(
                sql: "SELECT EXISTS (SELECT 1 FROM job WHERE id = ? AND state = 'running' AND lease_owner = ?)")
            let held = try Bool.fetchOne(statement, arguments: [job, owner])!
            guard held else { throw Lost(job: job) }
        }
    }

    public struct Lost: Error, CustomStringConvertible {
        public let job: Int64
        public var description: String {
            "job \(job) is no longer this runner's (its integration was removed, or the job went to another runner); "
                + "what it did since is not recorded"
        }
    }

    public func lease(of job: Job, owner: String) throws -> Lease {
        Lease(job: job.id, owner: try LeaseHolder.of(store).owner(owner))
    }

    /// Extends a running job's lease (a long push heartbeats).
    public func renew(_ id: Int64, owner: String, until: Date) throws {
        let owner = try LeaseHolder.of(store).owner(owner)
        try store.pool.write { db in
            try db.execute(
                sql: "UPDATE job SET lease_expires = ? WHERE id = ? AND lease_owner = ? AND state = 'running'",
                arguments: [IntegrationRepository.milliseconds(until), id, owner])
        }
    }

    /// Where a full push goes on if it is taken up again, and its counts so far (a host killed mid-push saves none).
    static func save(_ progress: DeliveryRepository.Progress, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "UPDATE job SET push_cursor = COALESCE(?, push_cursor), stats = ? WHERE id = ?")
        try statement.execute(arguments: [progress.cursor, progress.stats.serialized(), progress.job])
    }

    public func succeed(_ id: Int64, stats: JSON, lease: Lease? = nil) throws {
        try finish(id, state: .succeeded, stats: stats, error: nil, lease: lease)
    }

    public func fail(_ id: Int64, stats: JSON, error: String, lease: Lease? = nil) throws {
        try finish(id, state: .failed, stats: stats, error: error, lease: lease)
    }

    /// Back to the queue, not before `notBefore`: a retryable failure, or a job handed back at shutdown. With
    /// `lease`, only while the lease is held.
    /// Back to the queue, not before `notBefore`. A job handed back with nothing wrong (`attempted: false`) keeps
    /// its count of attempts, which only failures use up.
    public func requeue(
        _ id: Int64, notBefore: Date?, stats: JSON? = nil, error: String? = nil, lease: Lease? = nil,
        attempted: Bool = true
    ) throws {
        try store.pool.write { db in
            try lease?.check(in: db)
            try db.execute(
                sql: """
                    UPDATE job SET state = 'queued', lease_owner = NULL, lease_expires = NULL, not_before = ?,
                        stats = COALESCE(?, stats), error = ?, attempts = MAX(0, attempts - ?)
                    WHERE id = ?
                    """,
                arguments: [
                    notBefore.map(IntegrationRepository.milliseconds), stats?.serialized(), error, attempted ? 0 : 1,
                    id,
                ])
        }
    }

    private func finish(_ id: Int64, state: Job.State, stats: JSON, error: String?, lease: Lease?) throws {
        try store.pool.write { db in
            try lease?.check(in: db)
            try db.execute(
                sql: """
                    UPDATE job SET state = ?, lease_owner = NULL, lease_expires = NULL, finished_at = ?, stats = ?, error = ?
                    WHERE id = ?
                    """,
                arguments: [state.rawValue, ISODates.dateTime(Date()), stats.serialized(), error, id])
        }
    }

    /// The running jobs whose runner's process is gone (killed): they go back to the queue when a host or a
    /// `--wait` runner next starts.
    public func orphanedJobs() throws -> Set<Int64> {
        let holder = try LeaseHolder.of(store)
        return try store.pool.read { db in
            Set(
                try Row.fetchAll(
                    db, sql: "SELECT id, lease_owner FROM job WHERE state = 'running' AND lease_owner IS NOT NULL"
                )
                .filter { !holder.isAlive($0["lease_owner"]) }.map { $0["id"] as Int64 })
        }
    }

    /// Returns to the queue the jobs whose runner's process is gone, and those whose lease expired. A lease of a
    /// live process is left alone, whichever process (a host, a `--wait` runner) holds it. Returns how many.
    @discardableResult
    public func recoverLeases(now: Date) throws -> Int {
        let holder = try LeaseHolder.of(store)
        return try store.pool.write { db in
            let owners = try String.fetchAll(
                db, sql: "SELECT DISTINCT lease_owner FROM job WHERE state = 'running' AND lease_owner IS NOT NULL")
            let gone = owners.filter { !holder.isAlive($0) }
            try db.execute(
                sql: """
                    UPDATE job SET state = 'queued', lease_owner = NULL, lease_expires = NULL
                    WHERE state = 'running' AND (lease_expires < ? OR lease_owner IN (\(Store.placeholders(gone.count))))
                    """,
                arguments: StatementArguments(
                    [IntegrationRepository.milliseconds(now)] + gone.map { $0 as any DatabaseValueConvertible }))
            return db.changesCount
        }
    }

    public func job(_ id: Int64) throws -> Job? {
        try store.pool.read {
            try Row.fetchOne($0, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(Job.init(row:))
        }
    }

    public func jobs(integration: String? = nil, limit: Int = 50) throws -> [Job] {
        try store.pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM job WHERE ? IS NULL OR integration = ? ORDER BY id DESC LIMIT ?",
                arguments: [integration, integration, limit]
            ).map(Job.init(row:))
        }
    }

    /// Whether a job of this kind is already waiting or running, so triggers do not pile up duplicates.
    public func hasPending(integration: String, kind: Job.Kind, recordScoped: Bool = false) throws -> Bool {
        try store.pool.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM job WHERE integration = ? AND kind = ? AND state IN ('queued', 'running')
                        AND (record_ids IS NULL) = ?)
                    """,
                arguments: [integration, kind.rawValue, !recordScoped])!
        }
    }

    /// Whether a job of `integration` more urgent than `priority` is waiting and due: a running bulk job gives way
    /// to it (an alert's push does not wait for a full resend of the estate).
    public func hasMoreUrgent(integration: String, than priority: Int, now: Date) throws -> Bool {
        try store.pool.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM job WHERE integration = ? AND state = 'queued' AND priority > ?
                        AND (not_before IS NULL OR not_before <= ?))
                    """,
                arguments: [integration, priority, IntegrationRepository.milliseconds(now)])!
        }
    }

    public func queuedCount() throws -> Int {
        try store.pool.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM job WHERE state IN ('queued', 'running')")!
        }
    }
}

extension Job {
    init(row: Row) {
        self.init(
            id: row["id"], integration: row["integration"], tenant: row["tenant"],
            kind: Kind(rawValue: row["kind"]) ?? .push, trigger: Trigger(rawValue: row["trigger"]) ?? .manual,
            full: row["full"], priority: row["priority"], state: State(rawValue: row["state"]) ?? .queued,
            recordIDs: (row["record_ids"] as String?).flatMap { try? JSON.parse($0) }?.arrayValue?.compactMap(
                \.stringValue),
            pushCursor: row["push_cursor"],
            attempts: row["attempts"], notBefore: (row["not_before"] as Int64?).map(IntegrationRepository.date),
            createdAt: row["created_at"], startedAt: row["started_at"], finishedAt: row["finished_at"],
            stats: (row["stats"] as String?).flatMap { try? JSON.parse($0) }, error: row["error"])
    }
}
