import CSystemShims
import Foundation
import PluginRuntime
import Testing

@testable import SyncEngine

/// A push's lanes call the plugin with several batches at once, hand the outcomes over in batch order, never run
/// more than the window past the last batch settled, and send nothing after a batch that ends the push.
@Suite struct PushCallsTests {
    struct Broken: Error {}

    /// Batches 1 to `count`, selected by a stream that ends (or fails after the last, with `failing`).
    func stream(_ count: Int, failing: Bool = false) -> BatchStream {
        BatchStream("test", capacity: 4) { stream in
            for number in 1...count {
                guard stream.put(SyncEngine.SelectedBatch(cursor: String(number), records: [])) else { return }
            }
            if failing { throw Broken() }
        }
    }

    /// Records which batches were sent, and how many were out at once; `delay` holds a batch's call.
    final class Target: @unchecked Sendable {
        private let lock = NSLock()
        private var out = 0
        private(set) var mostAtOnce = 0
        private(set) var sent: [Int] = []
        let delay: @Sendable (Int) -> TimeInterval

        init(delay: @escaping @Sendable (Int) -> TimeInterval = { _ in 0.01 }) { self.delay = delay }

        func send(_ selected: SyncEngine.SelectedBatch) -> PushCalls.Finished {
            let number = Int(selected.cursor)!
            lock.withLock {
                out += 1
                mostAtOnce = max(mostAtOnce, out)
                sent.append(number)
            }
            Thread.sleep(forTimeInterval: delay(number))
            lock.withLock { out -= 1 }
            return PushCalls.Finished(batch: .init(cursor: selected.cursor, selected: 1), outcome: nil)
        }

        var sentSoFar: [Int] { lock.withLock { sent } }
    }

    func calls(
        _ batches: BatchStream, _ target: Target, lanes: Int = 2, endsAt: Int? = nil,
        keepsSending: @escaping @Sendable () -> Bool = { true }
    ) -> PushCalls {
        PushCalls(
            lanes: lanes, batches: batches, depth: { _ in lanes },
            send: { selected in
                let finished = target.send(selected)
                guard Int(selected.cursor) == endsAt else { return finished }
                return PushCalls.Finished(batch: finished.batch, outcome: .failure(PluginCallError(.crashed, "ends")))
            }, keepsSending: keepsSending)
    }

    func takeAll(_ calls: PushCalls, _ batches: BatchStream) throws -> [Int] {
        defer {
            calls.stopSending()
            batches.stop()
            calls.waitForLanes()
        }
        var taken: [Int] = []
        while let finished = try calls.next() { taken.append(Int(finished.batch.cursor)!) }
        return taken
    }

    @Test func outcomesComeInBatchOrderWhenLaterCallsEndFirst() throws {
        // Odd batches take longer: the even one beside each comes back first.
        let target = Target { $0 % 2 == 1 ? 0.03 : 0.001 }
        let batches = stream(12)
        #expect(try takeAll(calls(batches, target, lanes: 3), batches) == Array(1...12))
        #expect(target.mostAtOnce == 3)
    }

    /// A slow batch holds the window: the lanes do not run ahead of it by more than the window, however fast the
    /// batches after it come back.
    @Test func noLaneRunsMoreThanTheWindowPastAnUnsettledBatch() throws {
        let target = Target { $0 == 2 ? 0.3 : 0.001 }
        let batches = stream(10)
        let calls = calls(batches, target, lanes: 3)
        Thread.sleep(forTimeInterval: 0.15)  // batch 2 is still out
        #expect(target.sentSoFar.sorted() == [1, 2, 3, 4])  // settled: 1; window of 3 past it: 2, 3, 4
        #expect(try takeAll(calls, batches) == Array(1...10))
    }

    /// A batch that ends the push stops the sending as soon as it is back, though batches ahead of it are still out.
    @Test func aBatchThatEndsThePushStopsTheSendingBeforeTheOnesAheadOfItAreBack() throws {
        let target = Target { [1: 0.1, 2: 0.2][$0] ?? 0.001 }
        let batches = stream(20)
        let taken = try takeAll(calls(batches, target, lanes: 3, endsAt: 3), batches)
        #expect(taken == [1, 2, 3])
        #expect(target.sentSoFar.sorted() == [1, 2, 3])
    }

    @Test func aBatchThatEndsThePushIsFollowedByNone() throws {
        let target = Target { $0 == 3 ? 0.1 : 0.001 }
        let batches = stream(20)
        let taken = try takeAll(calls(batches, target, lanes: 2, endsAt: 3), batches)
        // Batch 4 went beside batch 3; nothing went after batch 3 came back.
        #expect(taken == [1, 2, 3, 4])
        #expect(target.sentSoFar.sorted() == [1, 2, 3, 4])
    }

    /// Once the host stops, the first window still goes (a stopping host hands a job back after a batch, so a
    /// job taken up again gets on), and nothing after it.
    @Test func aStopSendsOnlyTheFirstWindow() throws {
        let target = Target()
        let batches = stream(20)
        #expect(try takeAll(calls(batches, target, lanes: 2, keepsSending: { false }), batches) == [1, 2])
    }

    @Test func aSelectionFailureComesAfterTheBatchesBeforeIt() throws {
        let target = Target()
        let batches = stream(5, failing: true)
        let calls = calls(batches, target, lanes: 2)
        defer {
            calls.stopSending()
            batches.stop()
            calls.waitForLanes()
        }
        var taken: [Int] = []
        #expect(throws: Broken.self) {
            while let finished = try calls.next() { taken.append(Int(finished.batch.cursor)!) }
        }
        #expect(taken == [1, 2, 3, 4, 5])
    }

    /// Stopping with calls out lets them finish, hands them over, and sends nothing more.
    @Test func stoppingSendingHandsOverWhatIsOut() throws {
        let target = Target { $0 == 2 ? 0.2 : 0.001 }
        let batches = stream(20)
        let calls = calls(batches, target, lanes: 2)
        #expect(try calls.next().map { Int($0.batch.cursor)! } == 1)
        calls.stopSending()
        var rest: [Int] = []
        while let finished = try calls.next() { rest.append(Int(finished.batch.cursor)!) }
        batches.stop()
        calls.waitForLanes()
        // Batch 2 was out when sending stopped; batch 3 too if batch 1's lane took it before the stop (the window
        // of two past batch 1 allows no more while batch 2 is out).
        #expect(rest == [2] || rest == [2, 3])
        #expect(target.sentSoFar.sorted() == [1] + rest)
    }
}

/// A push's selection runs below its calls: lowering a thread's priority leaves the rest of the process as it was.
@Suite struct ThreadPriorityTests {
    /// The calling thread's nice value (Linux answers for the calling thread, not the whole process).
    func priority() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    /// What the other thread saw, read once it has signalled.
    final class Seen: @unchecked Sendable {
        var result: Int32 = -1
        var priority: Int32 = 0
    }

    @Test func loweringAThreadsPriorityLeavesTheOthers() throws {
        let before = priority()
        let done = DispatchSemaphore(value: 0)
        let seen = Seen()
        let thread = Thread {
            seen.result = cc_lower_thread_priority(10)
            seen.priority = self.priority()
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(seen.result == 0)
        #expect(seen.priority == min(before + 10, 19))
        #expect(priority() == before)
    }
}
