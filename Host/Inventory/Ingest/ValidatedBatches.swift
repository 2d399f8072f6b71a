import Foundation
import JSONCore

/// Reads, parses and validates records on a thread of its own, handing batches to the writer through a small
/// bounded queue: on two cores the store writes one batch while the next is being validated, and memory stays at a
/// few batches whatever the file's size.
final class ValidatedBatches: @unchecked Sendable {
    enum Item {
        case batch(records: [InventoryRecord], rejected: Int, problems: [RecordProblem])
        case failure(any Error)
        case end
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var closed = false
    private static let capacity = 4

    /// Starts producing from `source` at once.
    init<Source: RecordSource>(from source: consuming Source, batchSize: Int) {
        let box = SourceBox(source)
        let thread = Thread { [self] in
            var source = box.source
            let validator = RecordValidator()
            var records: [InventoryRecord] = []
            var problems: [RecordProblem] = []
            var rejected = 0
            records.reserveCapacity(batchSize)
            do {
                while let (location, value) = try source.next() {
                    switch value {
                    case .failure(let error):
                        rejected += 1
                        problems.append(RecordProblem(location: location, "is not valid JSON: \(error)"))
                    case .success(let raw):
                        switch validator.validate(raw, at: location) {
                        case .valid(let record): records.append(record)
                        case .invalid(let found):
                            rejected += 1
                            problems += found
                        }
                    }
                    if records.count + rejected >= batchSize {
                        guard put(.batch(records: records, rejected: rejected, problems: problems)) else { return }
                        records = []
                        records.reserveCapacity(batchSize)
                        problems = []
                        rejected = 0
                    }
                }
                if put(.batch(records: records, rejected: rejected, problems: problems)) { _ = put(.end) }
            } catch {
                _ = put(.failure(error))
            }
        }
        thread.name = "ingest-validate"
        thread.start()
    }

    /// The next item; blocks until the producer has one.
    func next() -> Item {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        while queue.isEmpty { condition.wait() }
        return queue.removeFirst()
    }

    /// Stops the producer (the writer failed or finished early).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func put(_ item: Item) -> Bool {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        while queue.count >= Self.capacity && !closed { condition.wait() }
        guard !closed else { return false }
        queue.append(item)
        return true
    }

    private struct SourceBox<Source>: @unchecked Sendable {
        let source: Source
        init(_ source: consuming Source) { self.source = source }
    }
}
