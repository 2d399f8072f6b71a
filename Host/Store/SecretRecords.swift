import Foundation
import GRDB

/// Sealed secrets as stored: the table never sees plaintext (sealing happens in `HostServices.SecretVault`).
public struct SealedSecret: Sendable, Equatable {
    public let owner: String
    public let name: String
    public let keyID: String
    public let sealed: [UInt8]

    public init(owner: String, name: String, keyID: String, sealed: [UInt8]) {
        self.owner = owner
        self.name = name
        self.keyID = keyID
        self.sealed = sealed
    }
}

/// Secrets sealed under a master key other than the configured one.
public struct KeyMismatch: Error, CustomStringConvertible, Sendable {
    public let stored: [String]
    public let configured: String

    public init(stored: [String], configured: String) { (self.stored, self.configured) = (stored, configured) }

    public var description: String {
        "the store's secrets are sealed under master key \(stored.joined(separator: ", ")), but the configured master "
            + "key is \(configured): configure the key they were stored with (`cryptoconnect secrets rotate` moves "
            + "them to another)"
    }
}

extension Store {
    public func saveSecret(_ secret: SealedSecret) throws {
        try pool.write { db in try Store.saveSecret(secret, in: db) }
    }

    /// Saves a secret inside a caller's transaction, so it lands together with what it belongs to. Refused under a
    /// key other than the store's: no key would then open every secret (and a host running with the store's key
    /// would fail the jobs of this one). The owner's own secrets under another key may be replaced when the other
    /// owners' are under this one: that is how a store left under two keys by an earlier release comes back to one.
    public static func saveSecret(_ secret: SealedSecret, in db: Database) throws {
        try checkKey(secret.keyID, for: secret.owner, in: db)
        try db.execute(
            sql: """
                INSERT INTO secret (owner, name, key_id, sealed, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (owner, name) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed,
                    updated_at = excluded.updated_at
                """,
            arguments: [secret.owner, secret.name, secret.keyID, Data(secret.sealed), Store.timestamp()])
    }

    /// Replaces an owner's secrets inside a caller's transaction, under `saveSecret`'s rule, judged by what was
    /// stored before: the owner's old secrets are gone by the time the new ones are saved.
    public static func replaceSecrets(of owner: String, with secrets: [SealedSecret], in db: Database) throws {
        if let key = secrets.first?.keyID { try checkKey(key, for: owner, in: db) }
        try db.execute(sql: "DELETE FROM secret WHERE owner = ?", arguments: [owner])
        for secret in secrets { try saveSecret(secret, in: db) }
    }

    /// Throws unless `owner`'s secrets may be sealed under `key`: the other owners' secrets are all under it, or
    /// with none, the owner's own are.
    private static func checkKey(_ key: String, for owner: String, in db: Database) throws {
        func keys(_ owners: String) throws -> [String] {
            try String.fetchAll(
                db, sql: "SELECT DISTINCT key_id FROM secret WHERE owner \(owners) ? ORDER BY key_id",
                arguments: [owner])
        }
        let others = try keys("!=")
        let foreign = (others.isEmpty ? try keys("=") : others).filter { $0 != key }
        guard foreign.isEmpty else { throw KeyMismatch(stored: foreign, configured: key) }
    }

    public func secrets(owner: String) throws -> [SealedSecret] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM secret WHERE owner = ? ORDER BY name", arguments: [owner])
                .map(SealedSecret.init(row:))
        }
    }

    /// The ids of the master keys the stored secrets are sealed under.
    public func secretKeyIDs() throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM secret")) }
    }

    public func allSecrets() throws -> [SealedSecret] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM secret ORDER BY owner, name").map(SealedSecret.init(row:))
        }
    }

    /// Re-seals every secret at once (key rotation): read, re-sealed by `reseal` and written in one transaction,
    /// so a secret saved meanwhile by another process is neither left under the old key nor overwritten with what
    /// was read before it. Returns how many.
    public func resealSecrets(_ reseal: ([SealedSecret]) throws -> [SealedSecret]) throws -> Int {
        try pool.write { db in
            let all = try Row.fetchAll(db, sql: "SELECT * FROM secret ORDER BY owner, name").map(
                SealedSecret.init(row:))
            let resealed = try reseal(all)
            for secret in resealed {
                try db.execute(
                    sql: "UPDATE secret SET key_id = ?, sealed = ?, updated_at = ? WHERE owner = ? AND name = ?",
                    arguments: [secret.keyID, Data(secret.sealed), Store.timestamp(), secret.owner, secret.name])
            }
            return resealed.count
        }
    }

    public func deleteSecrets(owner: String) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM secret WHERE owner = ?", arguments: [owner]) }
    }

    static func timestamp(_ date: Date = Date()) -> String { date.formatted(.iso8601) }
}

extension SealedSecret {
    init(row: Row) {
        self.init(
            owner: row["owner"], name: row["name"], keyID: row["key_id"], sealed: Array(row["sealed"] as Data))
    }
}

extension Store {
    /// Per-integration HTTP metrics, kept as a JSON document (see `HostServices.HTTPMetrics`). `ifStored`: only
    /// while the integration is in the store, so a job that ran on while it was removed leaves none behind for one
    /// added again under its name (`cryptoconnect http` names integrations of its own).
    public func saveMetrics(integration: String, document: String, ifStored: Bool = false) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO http_metrics (integration, document, updated_at)
                        SELECT ?, ?, ? WHERE NOT ? OR EXISTS (SELECT 1 FROM integration WHERE id = ?)
                    ON CONFLICT (integration) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
                    """,
                arguments: [integration, document, Store.timestamp(), ifStored, integration])
        }
    }

    public func metricsDocument(integration: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT document FROM http_metrics WHERE integration = ?", arguments: [integration])
        }
    }

    public func metricsDocuments() throws -> [(integration: String, document: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT integration, document FROM http_metrics ORDER BY integration")
                .map { ($0["integration"], $0["document"]) }
        }
    }
}
