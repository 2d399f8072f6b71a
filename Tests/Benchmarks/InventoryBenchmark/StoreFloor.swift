import Foundation
import GRDB
import Store

/// The writer's floor: the rows and events an ingest wrote, already in memory, inserted by SQLite alone into an empty
/// store with the same schema in one transaction, then the store closed (and checkpointed) as `ingest` is.
func storeFloor(copying source: String, into path: String) throws -> Duration {
    let recordColumns = """
        tenant, id, natural_key, hostname, ip_address, environment, serial_number, mac_address, protocol,
        protocol_version, port, key_size, risk_score, compliance, certificate_expires, discovered_at, document,
        content_hash, created_at, updated_at
        """
    let eventColumns = "tenant, type, severity, record_id, detail, created_at"
    let (records, events) = try DatabaseQueue(path: source).read { db in
        (
            try Row.fetchAll(db, sql: "SELECT \(recordColumns) FROM inventory_record ORDER BY row").map {
                Array($0.databaseValues)
            },
            try Row.fetchAll(db, sql: "SELECT \(eventColumns) FROM inventory_event ORDER BY id").map {
                Array($0.databaseValues)
            }
        )
    }
    func insert(_ rows: [[DatabaseValue]], into table: String, _ columns: String, _ db: Database) throws {
        let count = columns.split(separator: ",").count
        let statement = try db.makeStatement(
            sql:
                "INSERT INTO \(table) (\(columns)) VALUES (\(Store.placeholders(count)))"
        )
        for row in rows {
            try statement.execute { bind in
                for value in row {
                    switch value.storage {
                    case .int64(let number): bind.integer(Int(number))
                    case .double(let number): bind.real(number)
                    case .string(let text): bind.text(text)
                    case .null, .blob: bind.text(nil)
                    }
                }
            }
        }
    }
    return try ContinuousClock().measure {
        let store = try Store(path: path)
        try store.pool.write { db in
            try insert(records, into: "inventory_record", recordColumns, db)
            try insert(events, into: "inventory_event", eventColumns, db)
        }
        try store.pool.close()
    }
}
