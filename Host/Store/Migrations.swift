import GRDB

/// Schema history. Append new migrations at the end; an applied migration never changes.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-secrets-and-metrics") { db in
            // Secrets are AES-256-GCM ciphertext; `key_id` names the master key that sealed them.
            try db.execute(
                sql: """
                    CREATE TABLE secret (
                        owner TEXT NOT NULL,
                        name TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        sealed BLOB NOT NULL,
                        updated_at TEXT NOT NULL,
                        PRIMARY KEY (owner, name)
                    ) WITHOUT ROWID;
                    CREATE TABLE http_metrics (
                        integration TEXT PRIMARY KEY,
                        document TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }
}
