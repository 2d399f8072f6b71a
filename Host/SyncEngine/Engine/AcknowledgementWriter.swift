import Foundation
import JSONCore

/// Commits a push's acknowledgements and dead letters on a thread of its own while the next batches go out, all
/// that has queued up in one transaction. A crash loses at most the batches not yet committed, which the delta
/// sends again (targets upsert by correlation id, so nothing is created twice).
final class AcknowledgementWriter: @unchecked Sendable {
    typealias Refusal = (record: SentRecord, payload: JSON, code: String, error: String)

    private let condition = NSCondition()
    private var acknowledged: [DeliveryRepository.Acknowledgement] = []
    private var refused: [Refusal] = []
    private var writing = false
    private var finished = false
    private var failure: (any Error)?

    init(
        delivery: DeliveryRepository, integration: String, tenant: String, clock: @escaping @Sendable () -> Date
    ) {
        let thread = Thread { [self] in
            while let (acknowledged, refused) = take() {
                let outcome = Result {
                    try delivery.record(
                        acknowledged: acknowledged, refused: refused, integration: integration, tenant: tenant,
                        at: clock())
                }
                condition.lock()
                writing = false
                if case .failure(let error) = outcome, failure == nil { failure = error }
                condition.broadcast()
                condition.unlock()
            }
        }
        thread.name = "push-acknowledge"
        thread.start()
    }

    /// Queues one batch's outcome; throws if an earlier commit failed (the push must stop).
    func submit(acknowledged batch: [DeliveryRepository.Acknowledgement], refused batchRefused: [Refusal]) throws {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        acknowledged += batch
        refused += batchRefused
        condition.broadcast()
    }

    /// Waits until everything queued is committed and stops the thread; throws the first commit failure.
    func finish() throws {
        condition.lock()
        defer { condition.unlock() }
        finished = true
        condition.broadcast()
        while writing || !(acknowledged.isEmpty && refused.isEmpty) { condition.wait() }
        if let failure { throw failure }
    }

    /// Everything queued so far, or nil once finished with nothing left.
    private func take() -> ([DeliveryRepository.Acknowledgement], [Refusal])? {
        condition.lock()
        defer { condition.unlock() }
        while acknowledged.isEmpty && refused.isEmpty && !finished { condition.wait() }
        guard !(acknowledged.isEmpty && refused.isEmpty) else { return nil }
        defer {
            acknowledged = []
            refused = []
        }
        writing = true
        return (acknowledged, refused)
    }
}
