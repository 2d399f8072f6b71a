import Foundation
import GRDB
import HostServices
import Store

/// A plugin's checkpoint and key-value state for one integration, kept in the store so it survives restarts.
public final class StoredIntegrationState: IntegrationState, @unchecked Sendable {
    static let checkpointKey = "__checkpoint"
    /// Where an interrupted pull resumes; owned by the engine, not the plugin.
    static let pullCursorKey = "__pull_cursor"
    /// The pull job that stored the cursor: a full pull goes on only from its own.
    static let pullCursorJobKey = "__pull_cursor_job"
    /// When the pause the target last asked for ends (milliseconds since 1970), for every process.
    static let pausedUntilKey = "__paused_until"
    /// The plugin build the integration's jobs last ran with (`id@version`), for `integrations show`.
    static let buildKey = "__build"

    /// The plugin build the integration's jobs last ran with; nil before its first job.
    public var lastBuild: String? { value(forKey: Self.buildKey) }

    private let store: Store
    private let integration: String

    public init(store: Store, integration: String) {
        self.store = store
        self.integration = integration
    }

    public func checkpoint() -> String? { value(forKey: Self.checkpointKey) }
    public func setCheckpoint(_ checkpoint: String) -> Bool { setValue(checkpoint, forKey: Self.checkpointKey) }

    public func value(forKey key: String) -> String? {
        try? store.pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT value FROM integration_state WHERE integration = ? AND key = ?",
                arguments: [integration, key])
        }
    }

    public func setValue(_ value: String?, forKey key: String) -> Bool {
        (try? store.pool.write { db in try setValue(value, forKey: key, in: db) }) != nil
    }

    /// Raises a whole number to `value`, unless it is higher already (one statement, so two processes raising it
    /// at once keep the higher).
    func raise(_ key: String, to value: Int64) throws {
        try store.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO integration_state (integration, key, value) VALUES (?, ?, ?)
                    ON CONFLICT (integration, key) DO UPDATE
                        SET value = CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)
                    """, arguments: [integration, key, String(value)])
        }
    }

    /// Sets (nil: removes) a value in a transaction of the caller's, beside what goes with it.
    func setValue(_ value: String?, forKey key: String, in db: Database) throws {
        if let value {
            try db.execute(
                sql: """
                    INSERT INTO integration_state (integration, key, value) VALUES (?, ?, ?)
                    ON CONFLICT (integration, key) DO UPDATE SET value = excluded.value
                    """, arguments: [integration, key, value])
        } else {
            try db.execute(
                sql: "DELETE FROM integration_state WHERE integration = ? AND key = ?", arguments: [integration, key])
        }
    }
}
