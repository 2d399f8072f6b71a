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
        migrator.registerMigration("v2-inventory") { db in
            // One row per crypto implementation on an asset. The id is a hash of the natural key
            // (host|protocol|port); the columns beside `document` serve queries and correlation. A rowid table:
            // new rows append at the end, while only the small unique index takes the random ids.
            try db.execute(
                sql: """
                    CREATE TABLE inventory_record (
                        row INTEGER PRIMARY KEY,
                        tenant TEXT NOT NULL,
                        id TEXT NOT NULL,
                        natural_key TEXT NOT NULL,
                        hostname TEXT,
                        ip_address TEXT,
                        environment TEXT,
                        serial_number TEXT,
                        mac_address TEXT,
                        protocol TEXT,
                        protocol_version TEXT,
                        port INTEGER,
                        key_size INTEGER,
                        risk_score REAL,
                        compliance TEXT,
                        certificate_expires TEXT,
                        discovered_at TEXT,
                        document TEXT NOT NULL,
                        content_hash TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE UNIQUE INDEX inventory_record_id ON inventory_record (tenant, id);
                    CREATE INDEX inventory_record_hostname ON inventory_record (tenant, hostname);
                    CREATE INDEX inventory_record_ip ON inventory_record (tenant, ip_address);
                    CREATE INDEX inventory_record_serial ON inventory_record (tenant, serial_number);
                    CREATE TABLE inventory_event (
                        id INTEGER PRIMARY KEY,
                        tenant TEXT NOT NULL,
                        type TEXT NOT NULL,
                        severity TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX inventory_event_tenant ON inventory_event (tenant, id);
                    """)
        }
        return migrator
    }
}
