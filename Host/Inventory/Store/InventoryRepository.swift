import Foundation
import GRDB
import JSONCore
import PluginABI
import Store

/// A record as stored, with when it was first seen and last changed.
public struct StoredRecord: Sendable, Equatable {
    public let tenant: String
    public let id: String
    public let naturalKey: String
    public let document: JSON
    public let contentHash: String
    public let createdAt: String
    public let updatedAt: String
}

/// An event as stored, with its sequence number (the sync engine's cursor).
public struct StoredEvent: Sendable, Equatable {
    public let sequence: Int64
    public let tenant: String
    public let event: InventoryEvent
    public let createdAt: String
}

/// Counts of one ingest, by outcome.
public struct IngestCounts: Sendable, Equatable {
    public var received = 0
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    /// Records discovered before the stored ones (an older export imported again): the store keeps the newer.
    public var older = 0
    public var rejected = 0
    public var events: [String: Int] = [:]

    public init() {}
}

/// Reads and writes the inventory tables. Writes happen in batches inside the caller's transaction, so an ingest
/// is all or nothing.
public struct InventoryRepository: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public func record(tenant: String, id: String) throws -> StoredRecord? {
        try store.pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM inventory_record WHERE tenant = ? AND id = ?", arguments: [tenant, id]
            )
            .map(StoredRecord.init(row:))
        }
    }

    public func list(tenant: String, filter: InventoryFilter = InventoryFilter(), limit: Int = 1000) throws
        -> [StoredRecord]
    {
        let (clause, arguments) = filter.sql
        return try store.pool.read { db in
            db.add(function: ProtocolVersion.sqlFunction)
            return try Row.fetchAll(
                db,
                sql:
                    "SELECT * FROM inventory_record WHERE tenant = ? \(clause) ORDER BY hostname, protocol, port LIMIT ?",
                arguments: StatementArguments([tenant] + arguments + [limit])
            ).map(StoredRecord.init(row:))
        }
    }

    /// How a pulled asset is recognised in the inventory.
    public struct CorrelationKey: Sendable, Hashable {
        public let hostname: String?
        public let ipAddress: String?
        public let serialNumber: String?

        public init(hostname: String?, ipAddress: String?, serialNumber: String?) {
            self.hostname = hostname
            self.ipAddress = ipAddress
            self.serialNumber = serialNumber
        }

        /// Whether a record that shares one identifier is another machine by a second one: an address is shared by
        /// a virtual IP, NAT or a reused lease, so a match by it alone is not a match when the host names differ
        /// (a short name and the FQDN it begins are one host; `web01.prod` and `web01.staging` are two), nor when the
        /// serial numbers differ and the host names are not the same host.
        func contradicts(_ record: (hostname: String?, ip: String?, serial: String?)) -> Bool {
            let sameHost = hostname.flatMap { mine in record.hostname.map { HostNames.sameHost(mine, $0) } }
            if sameHost == false { return true }
            if let mine = serialNumber, let theirs = record.serial, mine != theirs, sameHost != true { return true }
            return false
        }
    }

    /// For each key, the records of the tenant that share its host name, an IP address or its serial number and are
    /// not another machine by the others (`CorrelationKey.contradicts`): how pulled asset context is correlated with
    /// the inventory. One query for a whole page of keys.
    public func correlate(tenant: String, keys: [CorrelationKey]) throws -> [[StoredRecord]] {
        let hostnames = Array(Set(keys.compactMap(\.hostname)))
        let addresses = Array(Set(keys.compactMap(\.ipAddress)))
        let serials = Array(Set(keys.compactMap(\.serialNumber)))
        guard !(hostnames.isEmpty && addresses.isEmpty && serials.isEmpty) else { return keys.map { _ in [] } }
        func list(_ values: [String]) -> String {
            values.isEmpty ? "(NULL)" : "(" + Store.placeholders(values.count) + ")"
        }
        let found = try store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM inventory_record WHERE tenant = ? AND (hostname IN \(list(hostnames))
                        OR ip_address IN \(list(addresses)) OR serial_number IN \(list(serials))) ORDER BY id
                    """,
                arguments: StatementArguments([tenant] + hostnames + addresses + serials)
            ).map { row in
                (
                    record: StoredRecord(row: row), hostname: row["hostname"] as String?,
                    ip: row["ip_address"] as String?, serial: row["serial_number"] as String?
                )
            }
        }
        // Index the candidates by each identifier, so a page of keys costs one lookup per key and identifier.
        var byHostname: [String: [Int]] = [:]
        var byAddress: [String: [Int]] = [:]
        var bySerial: [String: [Int]] = [:]
        for (index, candidate) in found.enumerated() {
            if let hostname = candidate.hostname { byHostname[hostname, default: []].append(index) }
            if let ip = candidate.ip { byAddress[ip, default: []].append(index) }
            if let serial = candidate.serial { bySerial[serial, default: []].append(index) }
        }
        return keys.map { key in
            var matches = Set<Int>()
            if let hostname = key.hostname { matches.formUnion(byHostname[hostname] ?? []) }
            if let ip = key.ipAddress { matches.formUnion(byAddress[ip] ?? []) }
            if let serial = key.serialNumber { matches.formUnion(bySerial[serial] ?? []) }
            return matches.sorted().filter { index in
                let candidate = found[index]
                return !key.contradicts((candidate.hostname, candidate.ip, candidate.serial))
            }.map { found[$0].record }  // in id order
        }
    }

    public func hasRecords(tenant: String) throws -> Bool {
        try store.pool.read { try Self.hasRecords(tenant: tenant, in: $0) }
    }

    static func hasRecords(tenant: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM inventory_record WHERE tenant = ?)", arguments: [tenant]) ?? false
    }

    public func count(tenant: String) throws -> Int {
        try store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inventory_record WHERE tenant = ?", arguments: [tenant])
                ?? 0
        }
    }

    /// The sequence number of the tenant's newest event (0 when there is none): a new integration starts after it.
    /// The tenant's, not the store's: once another tenant's newer events go (the tenant removed), their numbers are
    /// handed out again, and a cursor past them would pass over this tenant's next events.
    public func latestEventSequence(tenant: String) throws -> Int64 {
        try store.pool.read {
            try Int64.fetchOne(
                $0, sql: "SELECT COALESCE(MAX(id), 0) FROM inventory_event WHERE tenant = ?", arguments: [tenant])!
        }
    }

    /// Events after a sequence number, oldest first.
    /// A tenant's events in order after `sequence`, optionally only of one kind or about one record.
    public func events(
        tenant: String, after sequence: Int64 = 0, kind: InventoryEvent.Kind? = nil, recordID: String? = nil,
        limit: Int = 1000
    ) throws -> [StoredEvent] {
        var sql = "SELECT * FROM inventory_event WHERE tenant = ? AND id > ?"
        var arguments: StatementArguments = [tenant, sequence]
        if let kind {
            sql += " AND type = ?"
            arguments += [kind.rawValue]
        }
        if let recordID {
            sql += " AND record_id = ?"
            arguments += [recordID]
        }
        return try store.pool.read { db in
            try Row.fetchAll(db, sql: sql + " ORDER BY id LIMIT ?", arguments: arguments + [limit])
                .compactMap(StoredEvent.init(row:))
        }
    }
}

extension StoredRecord {
    init(row: Row) {
        var document = (try? JSON.parse(row["document"] as String))?.objectValue ?? [:]
        if let seen: String = row["discovered_at"] { document["discovered_at"] = .string(seen) }
        self.init(
            tenant: row["tenant"], id: row["id"], naturalKey: row["natural_key"],
            document: .object(document), contentHash: row["content_hash"],
            createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}

extension StoredEvent {
    init?(row: Row) {
        guard let kind = InventoryEvent.Kind(rawValue: row["type"]) else { return nil }
        self.init(
            sequence: row["id"], tenant: row["tenant"],
            event: InventoryEvent(
                kind: kind, severity: row["severity"], recordID: row["record_id"],
                detail: (try? JSON.parse(row["detail"] as String)) ?? .null),
            createdAt: row["created_at"])
    }
}
