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

    public var json: JSON {
        [
            "file": .string(file), "tenant": .string(tenant), "format": .string(format.rawValue),
            "received": JSON(counts.received), "inserted": JSON(counts.inserted), "updated": JSON(counts.updated),
            "unchanged": JSON(counts.unchanged), "rejected": JSON(counts.rejected),
            "events": .object(counts.events.mapValues { JSON($0) }),
            "rejections": .array(rejections.map { ["location": .string($0.location), "message": .string($0.message)] }),
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

    public func ingest(file path: String, tenant: String, format requested: IngestFormat = .auto) throws -> IngestReport {
        guard FileManager.default.isReadableFile(atPath: path) else { throw IngestError(path, "cannot be read") }
        let format = requested == .auto ? IngestFormat.detect(path: path, head: Self.head(of: path)) : requested
        var report = IngestReport(file: path, tenant: tenant, format: format)
        switch format {
        case .ndjson, .auto:
            var source = try NDJSONSource(path: path)
            try run(&source, into: &report)
        case .json:
            var source = try ArraySource(document: try Self.document(at: path), path: path)
            try run(&source, into: &report)
        case .cbom:
            let imported = try CBOMImporter().records(from: try Self.document(at: path), path: path)
            report.notices = imported.notices
            var source = ArraySource(records: imported.records, prefix: "cbom")
            try run(&source, into: &report)
        }
        return report
    }

    /// Ingests records already in memory (the API and tests).
    public func ingest(records: [JSON], tenant: String) throws -> IngestReport {
        var report = IngestReport(file: "(request)", tenant: tenant, format: .json)
        var source = ArraySource(records: records, prefix: "records")
        try run(&source, into: &report)
        return report
    }

    private func run(_ source: inout some RecordSource, into report: inout IngestReport) throws {
        let validator = RecordValidator()
        let stamp = now()
        var counts = IngestCounts()
        var rejections: [RecordProblem] = []
        try repository.store.pool.write { db in
            var batch: [InventoryRecord] = []
            batch.reserveCapacity(Self.batchSize)
            while let (location, value) = try source.next() {
                switch value {
                case .failure(let error):
                    counts.received += 1
                    counts.rejected += 1
                    rejections.append(RecordProblem(location: location, "is not valid JSON: \(error)"))
                case .success(let raw):
                    switch validator.validate(raw, at: location) {
                    case .valid(let record):
                        batch.append(record)
                    case .invalid(let problems):
                        counts.received += 1
                        counts.rejected += 1
                        rejections += problems
                    }
                }
                if batch.count == Self.batchSize {
                    try repository.apply(batch, tenant: report.tenant, rules: rules, now: stamp, in: db, counts: &counts)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try repository.apply(batch, tenant: report.tenant, rules: rules, now: stamp, in: db, counts: &counts)
        }
        report.counts = counts
        report.rejections = rejections
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
            return try JSON.parse(Array(data))
        } catch {
            throw IngestError(path, "\(error) (the file is not valid JSON)")
        }
    }
}
