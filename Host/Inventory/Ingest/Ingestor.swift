import Foundation
import GRDB
import JSONCore
import Store

/// What an ingest did: counts, every rejected record with its problems, events raised, and parts of a CBOM that
/// were not imported.
public struct IngestReport: Sendable {
    public var file: String
    public var tenant: String
    public var format: IngestFormat
    public var counts = IngestCounts()
    /// Problems of rejected records (all of them; a record may have several).
    public var rejections: [RecordProblem] = []
    /// Parts of the input that were not imported and why (CBOM components not linked to a host, unknown types).
    public var notices: [String] = []
    /// The tenant was first named by this ingest, and added with its records.
    public var newTenant = false

    /// `received 10, inserted 8, updated 1, unchanged 0, rejected 1; events: alert 2, discovery 8`
    public var summary: String {
        "received \(counts.received), inserted \(counts.inserted), updated \(counts.updated), "
            + "unchanged \(counts.unchanged), rejected \(counts.rejected)"
            + (counts.older > 0 ? "; older than the stored records, not applied: \(counts.older)" : "")
            + (counts.events.isEmpty
                ? ""
                : "; events: "
                    + counts.events.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                    .joined(separator: ", "))
    }

    public var json: JSON {
        [
            "file": .string(file), "tenant": .string(tenant), "format": .string(format.rawValue),
            "received": JSON(counts.received), "inserted": JSON(counts.inserted), "updated": JSON(counts.updated),
            "unchanged": JSON(counts.unchanged), "older": JSON(counts.older), "rejected": JSON(counts.rejected),
            "events": .object(counts.events.mapValues { JSON($0) }),
            "rejections": .array(
                rejections.map { ["location": .string($0.location), "message": .string($0.message)] }),
            "notices": JSON(notices),
        ]
    }
}

/// Ingests a file into one tenant's inventory, in one transaction: a file that cannot be read as a whole changes
/// nothing, while a bad record is rejected with its path and never stops the good ones.
public struct Ingestor: Sendable {
    public static let batchSize = 1000

    public let repository: InventoryRepository
    public var rules: EventRules
    public var now: @Sendable () -> Date

    public init(store: Store, rules: EventRules = EventRules(), now: @escaping @Sendable () -> Date = { Date() }) {
        repository = InventoryRepository(store: store)
        self.rules = rules
        self.now = now
    }

    public func ingest(file path: String, tenant: String, format requested: IngestFormat = .auto) throws -> IngestReport
    {
        let opened = try Self.open(path, format: requested)
        var report = IngestReport(file: path, tenant: tenant, format: opened.format)
        report.notices = opened.notices
        try run(opened.source, into: &report)
        return report
    }

    /// A file's records as `format` (or the shape detected) says: where to read them, and a CBOM's notices.
    static func open(_ path: String, format requested: IngestFormat) throws(IngestError) -> (
        source: any RecordSource, format: IngestFormat, notices: [String]
    ) {
        guard FileManager.default.isReadableFile(atPath: path) else { throw IngestError(path, "cannot be read") }
        let format = requested == .auto ? IngestFormat.detect(path: path, head: Self.head(of: path)) : requested
        switch format {
        case .ndjson, .auto:
            return (try NDJSONSource(path: path), .ndjson, [])
        case .json:
            do {
                return (try JSONArraySource(path: path), .json, [])
            } catch let notRecords as JSONArraySource.NotRecords {
                // Detection reads the head of a file: a CBOM whose "bomFormat" comes later is known by reading on.
                guard requested == .auto, notRecords.cycloneDX else {
                    // A format given by hand may be the wrong one: say which the file looks like.
                    let hint =
                        notRecords.cycloneDX
                        ? "; it is a CycloneDX BOM: give --format cbom (or auto)"
                        : IngestFormat.detect(path: path, head: Self.head(of: path)) == .ndjson
                            ? "; it reads as NDJSON, one record per line: give --format ndjson (or auto)" : ""
                    throw IngestError(
                        path,
                        "the top level is an object without a \"records\" array; expected an array of records or {\"records\": [...]}"
                            + hint)
                }
                return try cbom(try Self.document(at: path), path)
            } catch let error as IngestError {
                throw error
            } catch {
                throw IngestError(path, "\(error)")
            }
        case .cbom:
            return try cbom(try Self.document(at: path), path)
        }
    }

    private static func cbom(_ document: JSON, _ path: String) throws(IngestError) -> (
        source: any RecordSource, format: IngestFormat, notices: [String]
    ) {
        let imported = try CBOMImporter().records(from: document, path: path)
        return (ArraySource(records: imported.records, places: imported.places), .cbom, imported.notices)
    }

    /// Ingests records already in memory (the API, pulls and tests); problems name each record by its place in
    /// `records`, or by its entry of `locations` (a pulled CI).
    /// `storedTimes`: the records carry discovery times the store already holds (a pull's enrichments of stored
    /// records), which are not checked against the clock again: one kept before such checks stays usable.
    /// `alongside` writes in the same transaction, after the records, given their counts: what must be stored with
    /// them or not at all (a pull's page and checkpoint), or may undo them (throwing, nothing is written).
    public func ingest(
        records: [JSON], tenant: String, locations: [String]? = nil, storedTimes: Bool = false,
        alongside: ((Database, IngestCounts) throws -> Void)? = nil
    ) throws -> IngestReport {
        var report = IngestReport(file: "(request)", tenant: tenant, format: .json)
        let source =
            locations.map { ArraySource(records: records, places: $0.map { RecordPlace($0) }) }
            ?? ArraySource(records: records, prefix: "records")
        try run(source, into: &report, checksDiscoveryTimes: !storedTimes, alongside: alongside)
        return report
    }

    private func run(
        _ source: consuming some RecordSource, into report: inout IngestReport, checksDiscoveryTimes: Bool = true,
        alongside: ((Database, IngestCounts) throws -> Void)? = nil
    ) throws {
        let (tenant, rules, stamp, repository) = (report.tenant, rules, now(), repository)
        guard Names.isValid(tenant) else {
            source.close()
            throw IngestError(report.file, "tenant \"\(tenant)\" must be 1-64 letters, digits, '-' or '_'")
        }
        // On a first load every record is new: its events are worked out beside validation. Later loads are mostly
        // unchanged records, whose events the writer works out only when one turns out new or changed.
        let firstLoad: Bool
        do {
            firstLoad = try !repository.hasRecords(tenant: tenant)
        } catch {
            source.close()  // the file is open; nothing else will close it
            throw error
        }
        let batches = ValidatedBatches(
            from: source, batchSize: Self.batchSize, newRecordEvents: firstLoad ? rules : nil, now: stamp,
            checksDiscoveryTimes: checksDiscoveryTimes)
        defer { batches.close() }
        // Everything the transaction mutates is local to its closure: one transaction, all or nothing.
        let (counts, rejections, newTenant) = try repository.store.pool.write {
            db -> (IngestCounts, [RecordProblem], Bool) in
            var counts = IngestCounts()
            var rejections: [RecordProblem] = []
            do {
                try Names.refuseCaseTwin(of: tenant, .tenant, in: db)
            } catch let twin as Names.CaseTwin {
                throw IngestError(report.file, twin.description)
            }
            var writer = try IngestWriter(tenant: tenant, rules: rules, now: stamp, in: db)
            while true {
                switch batches.next() {
                case .batch(let records, let rejected, let problems):
                    counts.received += rejected
                    counts.rejected += rejected
                    rejections += problems
                    try writer.apply(records, in: db, counts: &counts)
                case .failure(let error):
                    throw error
                case .end:
                    try alongside?(db, counts)
                    // A tenant is known by its inventory too: listed and removable, added with its records.
                    guard counts.inserted > 0 else { return (counts, rejections, false) }
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO tenant (id, created_at) VALUES (?, ?)",
                        arguments: [tenant, ISODates.dateTime(stamp)])
                    return (counts, rejections, db.changesCount > 0)
                }
            }
        }
        report.counts = counts
        report.rejections = rejections
        report.newTenant = newTenant
    }

    private static func head(of path: String) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return Array((try? handle.read(upToCount: 64 << 10)) ?? Data())
    }

    private static func document(at path: String) throws(IngestError) -> JSON {
        guard let data = FileManager.default.contents(atPath: path) else { throw IngestError(path, "cannot be read") }
        if data.isEmpty { throw IngestError(path, "is empty") }
        if data.contains(0) { throw IngestError(path, "holds binary data: not a JSON file") }
        do {
            return try JSON.parse(Array(IngestFormat.withoutByteOrderMark(data)), duplicateKeys: .refused)
        } catch {
            throw IngestError(path, error.repeatedName == nil ? "\(error) (the file is not valid JSON)" : "\(error)")
        }
    }
}
