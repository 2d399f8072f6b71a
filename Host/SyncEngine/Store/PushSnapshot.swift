import GRDB
import Store

/// What a push selects its records from: one snapshot of the store, renewed every `lifetime`. SQLite empties a
/// connection's page cache whenever another connection has committed since its last read, and the push's own
/// acknowledgements commit between its reads: read from the pool, every read of a thousand records found their
/// pages gone (in id order they lie all over the table) and read them from the file again. A snapshot keeps its
/// pages. It is an open read transaction, which keeps the write-ahead log from being checkpointed past it: renewed
/// now and then, and closed while the selection waits long for the calls (a slow target), it never holds the log
/// back much longer than `lifetime`.
///
/// What changes while a snapshot lasts is selected by the next push: a record's content hash is acknowledged as
/// it was sent, so one changed since still differs.
final class PushSnapshot {
    static let lifetime: Duration = .seconds(10)
    /// The snapshot's page cache: the pages of some 250,000 records, taken from memory only as pages are read and
    /// given back when the snapshot closes. A push reads records in id order, all over the table; a cache that
    /// holds the table reads each page once in the snapshot's life.
    static let cacheKiB = 131_072

    private let store: Store
    private var snapshot: DatabaseSnapshot?
    private var taken = ContinuousClock.now

    init(_ store: Store) { self.store = store }

    /// Closes the snapshot, if open; the next read opens another.
    func close() { snapshot = nil }

    /// The snapshot to read from, a new one once the last is `lifetime` old.
    func reader() throws -> DatabaseSnapshot {
        if let snapshot, ContinuousClock.now - taken < Self.lifetime { return snapshot }
        snapshot = nil  // closes the old one's connection before the new one opens
        let fresh = try store.pool.makeSnapshot()
        try fresh.read { try $0.execute(sql: "PRAGMA cache_size = -\(Self.cacheKiB)") }
        (snapshot, taken) = (fresh, .now)
        return fresh
    }
}
