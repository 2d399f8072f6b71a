import Foundation

/// Work started on a thread of its own now, whose result is collected later: a push has its batches with the
/// plugin while it takes the outcome of an earlier one. The result can be read any number of times.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let finished = NSCondition()
    private var result: Value?

    init(_ name: String, _ work: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            let outcome = work()
            finished.lock()
            result = outcome
            finished.broadcast()
            finished.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Waits for the work to finish, and returns what it came to.
    func value() -> Value {
        finished.lock()
        defer { finished.unlock() }
        while true {
            if let result { return result }
            finished.wait()
        }
    }
}
