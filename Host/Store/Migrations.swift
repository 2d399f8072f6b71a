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
        migrator.registerMigration("v3-sync") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenant (
                        id TEXT PRIMARY KEY,
                        created_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    -- One tenant's use of one connector. `configuration` never holds secrets (they are sealed in
                    -- `secret`, owner = the integration id).
                    CREATE TABLE integration (
                        id TEXT PRIMARY KEY,
                        tenant TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        plugin_id TEXT NOT NULL,
                        version_pin TEXT,
                        configuration TEXT NOT NULL,
                        mapping TEXT NOT NULL,
                        schedule TEXT,
                        realtime INTEGER NOT NULL,
                        event_types TEXT NOT NULL,
                        environment TEXT NOT NULL,
                        isolation TEXT NOT NULL,
                        source_of_truth TEXT NOT NULL,
                        enabled INTEGER NOT NULL,
                        paused_reason TEXT,
                        event_cursor INTEGER NOT NULL DEFAULT 0,
                        next_run_at INTEGER,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX integration_tenant ON integration (tenant);
                    -- The durable queue: a job is leased by one runner at a time, until its lease expires.
                    CREATE TABLE job (
                        id INTEGER PRIMARY KEY,
                        integration TEXT NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
                        tenant TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        trigger TEXT NOT NULL,
                        full INTEGER NOT NULL,
                        priority INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        record_ids TEXT,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        not_before INTEGER,
                        lease_owner TEXT,
                        lease_expires INTEGER,
                        created_at TEXT NOT NULL,
                        started_at TEXT,
                        finished_at TEXT,
                        stats TEXT,
                        error TEXT
                    );
                    CREATE INDEX job_queue ON job (state, priority DESC, id);
                    CREATE INDEX job_integration ON job (integration, id);
                    -- What each integration last acknowledged for each record: delta sync compares content hashes.
                    CREATE TABLE sync_state (
                        integration TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        content_hash TEXT NOT NULL,
                        status TEXT NOT NULL,
                        external_id TEXT,
                        synced_at TEXT NOT NULL,
                        PRIMARY KEY (integration, record_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE dead_letter (
                        id INTEGER PRIMARY KEY,
                        integration TEXT NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
                        tenant TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        error_code TEXT NOT NULL,
                        error TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE INDEX dead_letter_integration ON dead_letter (integration, state);
                    -- Plugin state scoped to an integration: key-value pairs and the checkpoint.
                    CREATE TABLE integration_state (
                        integration TEXT NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (integration, key)
                    ) WITHOUT ROWID;
                    -- Asset context pulled from ITAM systems, correlated with inventory records.
                    CREATE TABLE asset_context (
                        integration TEXT NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
                        tenant TEXT NOT NULL,
                        external_key TEXT NOT NULL,
                        hostname TEXT,
                        ip_address TEXT,
                        serial_number TEXT,
                        record TEXT NOT NULL,
                        raw TEXT NOT NULL,
                        correlated TEXT NOT NULL,
                        pulled_at TEXT NOT NULL,
                        PRIMARY KEY (integration, external_key)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v4-delta-index") { db in
            // Delta detection compares every record's hash with what an integration acknowledged. With the hash in
            // an index in id order, that comparison never reads the table: only changed records are fetched.
            try db.execute(sql: "CREATE INDEX inventory_record_delta ON inventory_record (tenant, id, content_hash)")
        }
        migrator.registerMigration("v5-delta-index-last-seen") { db in
            // An ingest tells unchanged records apart, and whether their last-seen time moved, from this index alone.
            try db.execute(
                sql: """
                    DROP INDEX inventory_record_delta;
                    CREATE INDEX inventory_record_delta ON inventory_record (tenant, id, content_hash, discovered_at);
                    """)
        }
        migrator.registerMigration("v6-sync-refresh") { db in
            // When what was sent stops being true by the clock alone (days left on a certificate): the delta sends
            // the record again after this moment although its content did not change.
            try db.execute(sql: "ALTER TABLE sync_state ADD COLUMN refresh_after TEXT")
            // Counts already sent by a mapping that reads the clock are due once, which sets when they next drop.
            try db.execute(
                sql: """
                    UPDATE sync_state SET refresh_after = synced_at WHERE status = 'synced' AND integration IN
                        (SELECT id FROM integration WHERE mapping LIKE '%date\\_to\\_days\\_remaining%' ESCAPE '\\')
                    """)
        }
        migrator.registerMigration("v7-expiry-notified") { db in
            // A certificate raises `certificate_expiry` once per expiry date, also when it drifts into the window
            // by the clock alone; this is the expiry it was last raised for. In the delta index, so an ingest tells
            // whether an unchanged record's certificate was announced without reading its row.
            try db.execute(
                sql: """
                    ALTER TABLE inventory_record ADD COLUMN expiry_notified TEXT;
                    UPDATE inventory_record SET expiry_notified = certificate_expires
                        WHERE (tenant, id, certificate_expires) IN (
                            SELECT tenant, record_id, json_extract(detail, '$.expires') FROM inventory_event
                            WHERE type = 'certificate_expiry');
                    DROP INDEX inventory_record_delta;
                    CREATE INDEX inventory_record_delta
                        ON inventory_record (tenant, id, content_hash, discovered_at, expiry_notified);
                    """)
        }
        migrator.registerMigration("v8-push-cursor") { db in
            // Where a full push taken up again goes on: the last record of the last batch whose outcomes are
            // committed (records go out in id order). Without it, every attempt started over from the first record.
            try db.execute(sql: "ALTER TABLE job ADD COLUMN push_cursor TEXT")
        }
        migrator.registerMigration("v9-scan-hash") { db in
            // The content hash of a record as the last ingest received it, when identity fields kept from the store
            // (a pull's serial number) made the stored record differ: the next rescan of the same data is told
            // unchanged from the delta index alone, without reading the row. NULL when the two are the same.
            try db.execute(
                sql: """
                    ALTER TABLE inventory_record ADD COLUMN scan_hash TEXT;
                    DROP INDEX inventory_record_delta;
                    CREATE INDEX inventory_record_delta
                        ON inventory_record (tenant, id, content_hash, discovered_at, expiry_notified, scan_hash);
                    """)
        }
        migrator.registerMigration("v10-ids-never-reused") { db in
            // A plain rowid takes the largest id plus one, so removing an integration (its jobs and dead letters go
            // with it) handed its ids out again: a log or `dlq replay 12` could name another integration's job or
            // letter, and a late write of a removed job's runner could pass for a new job's. AUTOINCREMENT never
            // reuses an id; SQLite only takes it in CREATE TABLE, so both tables are rebuilt.
            for (table, columns, indexes) in [
                (
                    "job",
                    """
                    integration TEXT NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
                    tenant TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    full INTEGER NOT NULL,
                    priority INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    record_ids TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    not_before INTEGER,
                    lease_owner TEXT,
                    lease_expires INTEGER,
                    created_at TEXT NOT NULL,
                    started_at TEXT,
                    finished_at TEXT,
                    stats TEXT,
                    error TEXT,
                    push_cursor TEXT
                    """,
                    """
                    CREATE INDEX job_queue ON job (state, priority DESC, id);
                    CREATE INDEX job_integration ON job (integration, id);
                    """
                ),
                (
                    "dead_letter",
                    """
                    integration TEXT NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
                    tenant TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    error_code TEXT NOT NULL,
                    error TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                    """,
                    "CREATE INDEX dead_letter_integration ON dead_letter (integration, state);"
                ),
            ] {
                try db.execute(
                    sql: """
                        CREATE TABLE \(table)_new (id INTEGER PRIMARY KEY AUTOINCREMENT, \(columns));
                        INSERT INTO \(table)_new SELECT * FROM \(table);
                        DROP TABLE \(table);
                        ALTER TABLE \(table)_new RENAME TO \(table);
                        \(indexes)
                        """)
            }
        }
        // A new event type, `configuration_change`: integrations that took every type (the default) take it too.
        migrator.registerMigration("v11-configuration-change-events") { db in
            try db.execute(
                sql: """
                    UPDATE integration SET event_types = '["discovery","alert","compliance_change","certificate_expiry","configuration_change"]'
                    WHERE event_types = '["discovery","alert","compliance_change","certificate_expiry"]'
                    """)
        }
        return migrator
    }
}
