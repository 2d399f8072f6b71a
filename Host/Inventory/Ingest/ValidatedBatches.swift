import Foundation
import JSONCore

/// A validated record, with the events it raises if it turns out to be new when they were worked out off the
/// writer's thread (on a tenant's first load, where every record is new).
struct PreparedRecord: Sendable {
    let record: InventoryRecord
    let eventsIfNew: [EncodedEvent]?
}

/// Reads records on one thread and parses and validates them on one thread fewer than there are cores, handing the
/// writer batches in file order through a bounded window: the store writes one batch while the next ones are being
/// validated, and memory stays at a few chunks whatever the file's size. The writer validates a chunk itself when
/// its next batch is not ready, so no validator competes with it for a core while it is busy (a first load), and
/// all cores validate while it has little to write (a re-ingest).
final class ValidatedBatches: @unchecked Sendable {
    enum Item {
        case batch(records: [PreparedRecord], rejected: Int, problems: [RecordProblem])
        case failure(any Error)
        case end
    }

    private let condition = NSCondition()
    /// Chunks read and not yet taken by a validator, with their sequence numbers.
    private var unvalidated: [(sequence: Int, chunk: RawChunk)] = []
    /// Items ready for the writer, by sequence number.
    private var ready: [Int: Item] = [:]
    private var read = 0
    private var delivered = 0
    private var readingDone = false
    private var closed = false
    /// Chunks between the reader and the writer at most.
    private static let window = 8
    private let rules: EventRules?
    private let now: Date
    /// The writer's own, for the chunks it validates while it waits.
    private let writerValidator: RecordValidator

    /// Starts reading from `source` and validating at once; with `newRecordEvents`, works out the events each record
    /// raises if it is new.
    init<Source: RecordSource>(
        from source: consuming Source, batchSize: Int, newRecordEvents rules: EventRules?, now: Date,
        checksDiscoveryTimes: Bool = true,
        validators: Int = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount - 1))
    ) {
        self.rules = rules
        self.now = now
        let ingestedAt = checksDiscoveryTimes ? now : nil
        writerValidator = RecordValidator(ingestedAt: ingestedAt)
        let box = SourceBox(source)
        let reader = Thread { [self] in
            var source = box.source
            defer { source.close() }
            do {
                while let chunk = try source.nextChunk(limit: batchSize) {
                    guard enqueue(chunk) else { return }
                }
                finishReading(with: .end)
            } catch {
                finishReading(with: .failure(error))
            }
        }
        reader.name = "ingest-read"
        reader.start()
        for index in 0..<validators {
            let validator = Thread { [self] in
                let validator = RecordValidator(ingestedAt: ingestedAt)
                while let (sequence, chunk) = take() {
                    deliver(Self.validate(chunk, with: validator, rules: rules, now: now), at: sequence)
                }
            }
            validator.name = "ingest-validate-\(index)"
            validator.start()
        }
    }

    /// The next item in file order; validates chunks itself while it is not ready.
    func next() -> Item {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        while ready[delivered] == nil {
            guard !closed, !unvalidated.isEmpty else {
                condition.wait()
                continue
            }
            let (sequence, chunk) = unvalidated.removeFirst()
            condition.unlock()
            let item = Self.validate(chunk, with: writerValidator, rules: rules, now: now)
            condition.lock()
            ready[sequence] = item
        }
        defer { delivered += 1 }
        return ready.removeValue(forKey: delivered)!
    }

    /// Stops the reader and the validators (the writer failed or finished).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private static func validate(_ chunk: RawChunk, with validator: RecordValidator, rules: EventRules?, now: Date)
        -> Item
    {
        var records: [PreparedRecord] = []
        var problems: [RecordProblem] = []
        var rejected = 0
        let walked = Result { () throws(IngestError) in
            try chunk.forEach { place, value in
                switch value {
                case .failure(let error):
                    rejected += 1
                    // A line is one record: its column says where (the parser's "line 1" would contradict the
                    // place). A line repeating a name is JSON, but one of the values would be lost.
                    let at = "column \(error.column): \(error.message)"
                    let why = error.repeatedName == nil ? "is not valid JSON: \(at)" : at
                    problems.append(RecordProblem(location: place.location, why))
                case .success(let raw):
                    switch validator.validate(raw, at: place.location) {
                    case .valid(let record):
                        let events = rules?.events(for: record, previous: nil, now: now)
                        records.append(PreparedRecord(record: record, eventsIfNew: events))
                    case .invalid(let found):
                        rejected += 1
                        problems += found.map(place.attributed)
                    }
                }
            }
        }
        if case .failure(let error) = walked { return .failure(error) }
        return .batch(records: records, rejected: rejected, problems: problems)
    }

    /// Hands a chunk to the validators; false once closed.
    private func enqueue(_ chunk: RawChunk) -> Bool {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        while read - delivered >= Self.window && !closed { condition.wait() }
        guard !closed else { return false }
        unvalidated.append((read, chunk))
        read += 1
        return true
    }

    /// The last item (the end, or why the file could not be read), after every chunk read before it.
    private func finishReading(with item: Item) {
        condition.lock()
        ready[read] = item
        readingDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// The oldest chunk not yet validated, or nil when there will be none.
    private func take() -> (Int, RawChunk)? {
        condition.lock()
        defer { condition.unlock() }
        while unvalidated.isEmpty && !readingDone && !closed { condition.wait() }
        guard !closed, !unvalidated.isEmpty else { return nil }
        return unvalidated.removeFirst()
    }

    private func deliver(_ item: Item, at sequence: Int) {
        condition.lock()
        ready[sequence] = item
        condition.broadcast()
        condition.unlock()
    }

    private struct SourceBox<Source>: @unchecked Sendable {
        let source: Source
        init(_ source: consuming Source) { self.source = source }
    }
}
