import Foundation
import GRDB
import Inventory
import JSONCore
import Store

/// Asset context pulled from ITAM systems, and its correlation with inventory records.
public struct AssetContextRepository: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public struct Context: Sendable {
        public let externalKey: String
        /// The pulled fields mapped back to the standard schema.
        public let record: JSON
        public let raw: JSON
        public let correlated: [String]
    }

    /// Saves a page of pulled context in the caller's transaction, which records what goes with it.
    func save(_ page: [Context], integration: String, tenant: String, in db: Database) throws {
        let pulledAt = ISODates.dateTime(Date())
        for context in page {
            try db.execute(
                sql: """
                    INSERT INTO asset_context (integration, tenant, external_key, hostname, ip_address, serial_number, record,
                        raw, correlated, pulled_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (integration, external_key) DO UPDATE SET hostname = excluded.hostname,
                        ip_address = excluded.ip_address, serial_number = excluded.serial_number, record = excluded.record,
                        raw = excluded.raw, correlated = excluded.correlated, pulled_at = excluded.pulled_at
                    """,
                arguments: [
                    integration, tenant, context.externalKey, context.record[path: "asset.hostname"]?.stringValue,
                    context.record[path: "asset.ip_address"]?.stringValue,
                    context.record[path: "asset.serial_number"]?.stringValue,
                    context.record.serialized(), context.raw.serialized(), JSON(context.correlated).serialized(),
                    pulledAt,
                ])
        }
    }

    public func contexts(integration: String) throws -> [Context] {
        try store.pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM asset_context WHERE integration = ? ORDER BY external_key",
                arguments: [integration]
            )
            .map { row in
                Context(
                    externalKey: row["external_key"], record: (try? JSON.parse(row["record"] as String)) ?? .null,
                    raw: (try? JSON.parse(row["raw"] as String)) ?? .null,
                    correlated: (try? JSON.parse(row["correlated"] as String))?.arrayValue?.compactMap(\.stringValue)
                        ?? [])
            }
        }
    }
}
