import Foundation

/// Work started on a thread of its own now, whose result is collected later: the push selects and maps its next
/// batch while the current one is with the plugin. The result can be read any number of times.
final class Prefetch<Value: Sendable>: @unchecked Sendable {
    private let finished = NSCondition()
    private var result: Result<Value, any Error>?

    init(_ work: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let outcome = Result { try work() }
            finished.lock()
            result = outcome
            finished.broadcast()
            finished.unlock()
        }
        thread.name = "push-prefetch"
        thread.start()
    }

    /// Waits for the work to finish; its value, or the error it threw.
    func value() throws -> Value {
        finished.lock()
        defer { finished.unlock() }
        while result == nil { finished.wait() }
        return try result!.get()
    }
}
