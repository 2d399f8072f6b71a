import CSystemShims
import Foundation
import JSONCore

/// Commits a push's acknowledgements and dead letters on a thread of its own while the next batches go out, all
/// that has queued up in one transaction, with the furthest progress among them. The thread runs below the calls
/// (nice +10): on a busy host it commits in the gaps they leave, many batches at a time. Its lag is bounded: a batch
/// waits to be queued while `mostQueued` outcomes wait already, which bounds what a crash sends again and how long
/// one of its transactions holds the store's writer. A crash loses at most the batches not yet committed, which the
/// delta (or a full push, after its committed progress) sends again; targets upsert by correlation id, so nothing
/// is created twice.
final class AcknowledgementWriter: @unchecked Sendable {
    typealias Refusal = (record: SentRecord, payload: JSON, code: String, error: String)

    /// Twenty batches of a hundred: on this 2-core VM the thread fell up to 3,700 behind a push without a bound.
    static let mostQueued = 2000

    private let condition = NSCondition()
    private var acknowledged: [DeliveryRepository.Acknowledgement] = []
    private var refused: [Refusal] = []
    private var progress: DeliveryRepository.Progress?
    private var writing = false
    private var finished = false
    private var failure: (any Error)?
    private var committedStats: JSON?

    /// `mapping` is the one the push sends with: acknowledgements committed after it changed keep their records
    /// pending, for the next push to send as the new mapping makes them.
    init(
        delivery: DeliveryRepository, lease: JobQueue.Lease?, integration: String, tenant: String, mapping: JSON,
        clock: @escaping @Sendable () -> Date
    ) {
        let mapping = SentMapping(mapping)
        let thread = Thread { [self] in
            _ = cc_lower_thread_priority(10)
            while let (acknowledged, refused, progress) = take() {
                let outcome = Result {
                    try delivery.record(
                        acknowledged: acknowledged, refused: refused, progress: progress, lease: lease,
                        integration: integration, tenant: tenant, sentWith: mapping, at: clock())
                }
                condition.lock()
                writing = false
                if case .failure(let error) = outcome, failure == nil { failure = error }
                if case .success = outcome, let progress { committedStats = progress.stats }
                condition.broadcast()
                condition.unlock()
            }
        }
        thread.name = "push-acknowledge"
        thread.start()
    }

    /// Queues one batch's outcome, and the push's progress once it is committed (batches come in order, so the
    /// latest is the furthest), once fewer than `mostQueued` outcomes wait; throws if an earlier commit failed (the
    /// push must stop).
    func submit(
        acknowledged batch: [DeliveryRepository.Acknowledgement], refused batchRefused: [Refusal],
        progress batchProgress: DeliveryRepository.Progress? = nil
    ) throws {
        condition.lock()
        defer { condition.unlock() }
        while acknowledged.count + refused.count >= Self.mostQueued && failure == nil { condition.wait() }
        if let failure { throw failure }
        acknowledged += batch
        refused += batchRefused
        if let batchProgress { progress = batchProgress }
        condition.broadcast()
    }

    /// Waits until everything queued is committed and stops the thread; throws the first commit failure.
    func finish() throws {
        condition.lock()
        defer { condition.unlock() }
        finished = true
        condition.broadcast()
        while writing || !isEmpty { condition.wait() }
        if let failure { throw failure }
    }

    /// The counts committed with the push's furthest progress, if any was committed.
    var committedProgressStats: JSON? {
        condition.lock()
        defer { condition.unlock() }
        return committedStats
    }

    private var isEmpty: Bool { acknowledged.isEmpty && refused.isEmpty && progress == nil }

    /// Everything queued so far, or nil once finished with nothing left. After a failed commit nothing more is
    /// written: batches after the lost one would carry a full push's cursor past it, and its dead letters with it.
    private func take() -> ([DeliveryRepository.Acknowledgement], [Refusal], DeliveryRepository.Progress?)? {
        condition.lock()
        defer { condition.unlock() }
        while isEmpty && !finished && failure == nil { condition.wait() }
        if failure != nil {
            (acknowledged, refused, progress) = ([], [], nil)
            condition.broadcast()  // `finish` may be waiting for these to go
            return nil
        }
        guard !isEmpty else { return nil }
        defer {
            acknowledged = []
            refused = []
            progress = nil
        }
        writing = true
        return (acknowledged, refused, progress)
    }
}
