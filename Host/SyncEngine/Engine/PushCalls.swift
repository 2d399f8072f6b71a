import Foundation
import PluginABI
import PluginRuntime

/// A push's calls to its plugin, made on threads of their own ("lanes"): each lane takes the next selected batch
/// from the stream, maps it and calls the plugin with it. A lane starts its next call as soon as the batches before
/// it are back and none of them ends the push, without waiting for the push's thread to take their outcomes (on a
/// busy host that turn took as long as half a call), and batches are mapped several at once.
/// At most `depth(settled)` batches are out past the last one settled (it widens as the push goes on, and narrows
/// while a target's pause makes requests go one at a time), as when the push sent each batch once it had taken the
/// one `depth` before: a batch that ends the push is never followed by another, and past the first window none goes
/// once `keepsSending()` is false (the host is stopping). Outcomes are handed over in batch order.
final class PushCalls: @unchecked Sendable {
    typealias Outcome = Result<CallOutcome, PluginCallError>

    /// A batch whose call has ended; no outcome when there was nothing to call (the mapping refused every record).
    /// Why it ends the push, if it does, is told once, by the lane that called.
    struct Finished {
        let batch: SyncEngine.PreparedBatch
        let outcome: Outcome?
        let ending: SyncEngine.Ending?

        init(batch: SyncEngine.PreparedBatch, outcome: Outcome?) {
            self.batch = batch
            self.outcome = outcome
            ending = SyncEngine.ending(of: batch, outcome)
        }
    }

    private let condition = NSCondition()
    /// Held while a lane takes a batch from the stream and numbers it, so numbers follow the stream's order.
    private let streamLock = NSLock()
    private let batches: BatchStream
    /// How many batches may be out past the last one settled, given how many are settled.
    private let depth: @Sendable (Int) -> Int
    private let send: @Sendable (SyncEngine.SelectedBatch) -> Finished
    private let keepsSending: @Sendable () -> Bool
    private let lanes: Int
    private var sending = true
    /// The stream has no more batches, or failed.
    private var exhausted = false
    /// Lanes taking a batch from the stream: each holds a place in the window.
    private var taking = 0
    private var lanesRunning: Int
    private var numbered = 0
    /// The batches before this number are back, and none of them ends the push.
    private var settled = 0
    private var handedOver = 0
    private var done: [Int: Finished] = [:]
    private var failure: (number: Int, error: any Error)?

    init(
        lanes: Int, batches: BatchStream, depth: @escaping @Sendable (Int) -> Int,
        send: @escaping @Sendable (SyncEngine.SelectedBatch) -> Finished,
        keepsSending: @escaping @Sendable () -> Bool
    ) {
        self.lanes = max(1, lanes)
        self.batches = batches
        self.depth = depth
        self.send = send
        self.keepsSending = keepsSending
        lanesRunning = self.lanes
        for _ in 0..<self.lanes {
            let thread = Thread { [self] in lane() }
            thread.name = "push-call"
            thread.start()
        }
    }

    /// The next batch's call, in batch order, waiting for it; nil when no more will come. Throws what selecting the
    /// batches threw, once the batches selected before it are handed over.
    func next() throws -> Finished? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let finished = done.removeValue(forKey: handedOver) {
                handedOver += 1
                condition.broadcast()  // room for a lane's next call
                return finished
            }
            if let failure, failure.number == handedOver {
                self.failure = nil
                throw failure.error
            }
            if numbered == handedOver && taking == 0 && (exhausted || !sending) { return nil }
            condition.wait()
        }
    }

    /// Starts no more calls; those already out go on, and `next` hands them over.
    func stopSending() {
        condition.lock()
        sending = false
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for every lane to end, once sending stopped and the stream was stopped (a lane may wait for a batch).
    func waitForLanes() {
        condition.lock()
        defer { condition.unlock() }
        while lanesRunning > 0 { condition.wait() }
    }

    private func lane() {
        while let (number, batch) = nextBatch() {
            let finished = send(batch)
            condition.lock()
            done[number] = finished
            // One that ends the push stops the sending as soon as it is back, before the ones ahead of it are.
            if finished.ending != nil { sending = false }
            while let next = done[settled], sending, next.ending == nil { settled += 1 }
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        lanesRunning -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for room in the window, then takes the next batch and its number; nil once sending stopped or the stream
    /// ended.
    private func nextBatch() -> (Int, SyncEngine.SelectedBatch)? {
        condition.lock()
        while sending && !exhausted && (numbered + taking - settled >= depth(settled) || done.count >= lanes) {
            condition.wait()
        }
        if numbered + taking >= depth(settled) && !keepsSending() { sending = false }
        guard sending && !exhausted else {
            condition.unlock()
            return nil
        }
        taking += 1
        condition.unlock()

        streamLock.lock()
        defer { streamLock.unlock() }
        let taken = Result { try batches.next() }
        condition.lock()
        defer {
            taking -= 1
            condition.broadcast()
            condition.unlock()
        }
        switch taken {
        case .success(let batch?) where sending:
            numbered += 1
            return (numbered - 1, batch)
        case .success(nil):
            exhausted = true
        case .success:  // taken after sending stopped: never sent
            break
        case .failure(let error):
            failure = (numbered, error)
            exhausted = true
        }
        return nil
    }
}
