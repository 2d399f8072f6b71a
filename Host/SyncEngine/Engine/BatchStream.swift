import Foundation

/// A push's batches, selected on a thread of their own ahead of the batches going out, and handed over in order. The
/// thread waits while `capacity` batches wait to be taken, and stops at its next batch once the push wants no more.
final class BatchStream: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [SyncEngine.SelectedBatch] = []
    private var failure: (any Error)?
    private var finished = false
    private var stopped = false
    private let capacity: Int
    private let longWait: TimeInterval

    /// `produce` hands each batch to `put`, and returns when there are no more or `put` says to stop; what it throws
    /// is thrown to the taker once the batches made before it are taken. A wait for room of `longWait` seconds is a
    /// long one (see `put`).
    init(
        _ name: String, capacity: Int, longWait: TimeInterval = 1,
        produce: @escaping @Sendable (BatchStream) throws -> Void
    ) {
        self.capacity = capacity
        self.longWait = longWait
        let thread = Thread { [self] in
            let outcome = Result { try produce(self) }
            condition.lock()
            if case .failure(let error) = outcome { failure = error }
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Hands a batch over, waiting while `capacity` wait already; false once the push wants no more. `waitingLong`
    /// runs once (outside the lock) if the wait lasts `longWait`.
    func put(_ batch: SyncEngine.SelectedBatch, waitingLong: () -> Void = {}) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let due = Date(timeIntervalSinceNow: longWait)
        var waitedLong = false
        while ready.count >= capacity && !stopped {
            if waitedLong {
                condition.wait()
            } else if !condition.wait(until: due) {
                waitedLong = true
                condition.unlock()
                waitingLong()
                condition.lock()
            }
        }
        guard !stopped else { return false }
        ready.append(batch)
        condition.broadcast()
        return true
    }

    /// The next batch, waiting for it; nil when there are no more. Throws what making them threw, after the batches
    /// made before it.
    func next() throws -> SyncEngine.SelectedBatch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished { condition.wait() }
        guard ready.isEmpty else {
            condition.broadcast()  // room for the next
            return ready.removeFirst()
        }
        if let failure {
            self.failure = nil
            throw failure
        }
        return nil
    }

    /// The push wants no more: waits for the thread to stop, so that nothing of the push runs behind its return.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopped = true
        condition.broadcast()
        while !finished { condition.wait() }
    }
}
