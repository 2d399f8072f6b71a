import CSystemShims
import Foundation
import GRDB

/// The host's one SQLite database file (WAL mode, versioned migrations): secrets, inventory, integrations, jobs.
/// Each feature adds its tables through a migration in `Migrations.swift`; nothing ever edits an applied one.
public final class Store: Sendable {
    public let path: String
    public let pool: DatabasePool

    /// The default location, `./data/cryptoconnect.sqlite`, unless the data directory is overridden.
    public static func defaultPath(dataDirectory: String) -> String { dataDirectory + "/cryptoconnect.sqlite" }

    /// `busyTimeout`: how long a write waits for another process's transaction (tests shorten it).
    public init(path: String, busyTimeout: TimeInterval = Store.busyTimeout) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {  // a bare file name lives in the current directory
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // Private from the start: SQLite gives its -wal and -shm files the database file's mode, and what is sealed
        // (secrets) is not all there is to keep from other users (inventory, targets, errors).
        let created = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if created >= 0 { close(created) }
        _ = Self.withoutMemoryStatistics
        var configuration = Configuration()
        // A writer waits for another's transaction: an ingest of a large file holds the write lock for all of it.
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // 8 KB pages for a new file (an existing one keeps its own): a first ingest of 100,000 records writes
            // 130 MB, and takes 5-7% less time than with 4 KB pages; re-ingests, pushes and queries are unchanged.
            try db.execute(sql: "PRAGMA page_size = 8192")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")  // WAL keeps this durable across a process crash
            // 32 MB of page cache per connection: bulk ingests touch index pages all over the file.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Migrations.migrator.migrate(pool)
    }

    /// SQLite's memory statistics take a global mutex on every allocation of every connection (about 3% of an
    /// ingest's CPU); nothing here reads them. Set once, before the first database opens in the process.
    private static let withoutMemoryStatistics: Void = { _ = cc_sqlite_without_memory_statistics() }()

    /// How long a writer waits for the write lock before giving up with `isBusy` true.
    public static let busyTimeout: TimeInterval = 120
    /// The wait in a process that runs jobs: under a third of a job's lease, so a runner held up by another
    /// process's long transaction gives the job back (retried later) before its lease can expire and another
    /// runner take it over while it still runs.
    public static let jobBusyTimeout: TimeInterval = 15

    /// Whether `error` is SQLite's "database is locked": another process held the write lock past `busyTimeout`.
    public static func isBusy(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    /// `?,?,?` for an `IN (...)` list of `count` values.
    public static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }

    /// The migrations applied so far, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { try Migrations.migrator.appliedMigrations($0) }
    }
}
