import Foundation
import Testing

@testable import SyncEngine

/// A push's batches are made ahead on a thread of their own and handed over in order; the thread waits while the
/// push has enough waiting, and stops when the push wants no more.
@Suite struct BatchStreamTests {
    struct Broken: Error {}

    func batch(_ number: Int) -> SyncEngine.SelectedBatch {
        SyncEngine.SelectedBatch(cursor: String(number), records: [])
    }

    @Test func batchesComeInOrderWhileTheMakerWaitsForRoom() throws {
        let made = Counter()
        let stream = BatchStream("test", capacity: 2) { stream in
            for number in 1...50 {
                guard stream.put(batch(number)) else { return }
                made.increment()
            }
        }
        var taken: [Int] = []
        while let next = try stream.next() {
            // The maker is never more than the capacity (and the one it holds) ahead of the taker.
            #expect(made.value <= taken.count + 3)
            taken.append(Int(next.cursor)!)
        }
        #expect(taken == Array(1...50))
        stream.stop()
    }

    /// A failure comes after the batches made before it, once; then there are no more.
    @Test func aFailureComesAfterTheBatchesBeforeIt() throws {
        let stream = BatchStream("test", capacity: 4) { stream in
            for number in 1...3 { _ = stream.put(batch(number)) }
            throw Broken()
        }
        #expect(try stream.next()?.cursor == "1")
        #expect(try stream.next()?.cursor == "2")
        #expect(try stream.next()?.cursor == "3")
        #expect(throws: Broken.self) { try stream.next() }
        #expect(try stream.next() == nil)
    }

    /// A maker that waits long for room is told so once (the push then lets its snapshot of the store go), and
    /// still hands its batch over when room comes.
    @Test func aLongWaitForRoomIsToldOnce() throws {
        let toldLong = Counter()
        let stream = BatchStream("test", capacity: 1, longWait: 0.05) { stream in
            for number in 1...3 {
                guard stream.put(batch(number), waitingLong: { toldLong.increment() }) else { return }
            }
        }
        Thread.sleep(forTimeInterval: 0.3)  // the maker waits with batch 2 in hand
        #expect(toldLong.value == 1)
        var taken: [Int] = []
        while let next = try stream.next() { taken.append(Int(next.cursor)!) }
        #expect(taken == [1, 2, 3])
        #expect(toldLong.value <= 2)  // batch 3 may have waited long too
        stream.stop()
    }

    /// Stopping ends a maker that waits for room, and returns only once it has ended.
    @Test func stoppingEndsAWaitingMaker() throws {
        let ended = Counter()
        let stream = BatchStream("test", capacity: 1) { stream in
            defer { ended.increment() }
            var number = 0
            while stream.put(batch(number)) { number += 1 }
        }
        #expect(try stream.next() != nil)
        stream.stop()
        #expect(ended.value == 1)
    }
}

/// A count shared with a maker's thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
