import Foundation

/// A file's records read and validated exactly as `ingest` reads them, without a store: what a mapping preview
/// shows is what a push of the stored records would send.
public struct RecordPreview: Sendable {
    public let format: IngestFormat
    /// The valid records, in file order.
    public private(set) var records: [InventoryRecord] = []
    /// Problems of the records that would be rejected.
    public private(set) var rejections: [RecordProblem] = []
    /// Parts of a CBOM that would not be imported.
    public let notices: [String]

    public init(file path: String, format requested: IngestFormat = .auto) throws(IngestError) {
        let opened = try Ingestor.open(path, format: requested)
        format = opened.format
        notices = opened.notices
        let batches = ValidatedBatches(
            from: opened.source, batchSize: Ingestor.batchSize, newRecordEvents: nil, now: Date())
        defer { batches.close() }
        while true {
            switch batches.next() {
            case .batch(let valid, _, let problems):
                records += valid.map(\.record)
                rejections += problems
            case .failure(let error as IngestError):
                throw error
            case .failure(let error):
                throw IngestError(path, "\(error)")
            case .end:
                return
            }
        }
    }
}
