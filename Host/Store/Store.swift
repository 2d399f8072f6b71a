import Foundation
import GRDB

/// The host's one SQLite database file (WAL mode, versioned migrations): secrets, inventory, integrations, jobs.
/// Each feature adds its tables through a migration in `Migrations.swift`; nothing ever edits an applied one.
public final class Store: Sendable {
    public let path: String
    public let pool: DatabasePool

    /// The default location, `./data/cryptoconnect.sqlite`, unless the data directory is overridden.
    public static func defaultPath(dataDirectory: String) -> String { dataDirectory + "/cryptoconnect.sqlite" }

    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {  // a bare file name lives in the current directory
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")  // WAL keeps this durable across a process crash
            // 32 MB of page cache per connection: bulk ingests touch index pages all over the file.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Migrations.migrator.migrate(pool)
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
