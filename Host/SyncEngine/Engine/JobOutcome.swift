import Foundation
import JSONCore
import PluginRuntime

/// How a job ended, and so what happens to it next.
enum JobOutcome {
    case succeeded(JobStats)
    /// Try again, not before `at` (throttling, a target that is down, a crashed plugin).
    case retry(at: Date, JobStats, String)
    case failed(JobStats, String)
    /// Stop the integration until someone acts (credentials refused): nothing is retried in a loop.
    case paused(String, JobStats)
}

/// What a job did, kept with it in the queue.
struct JobStats {
    var selected = 0
    var pushed = 0
    var acknowledged = 0
    var deadLettered = 0
    var retryLater = 0
    var pulled = 0
    var correlated = 0
    var enriched = 0
    var calls = 0
    var errors: [String] = []
    var started = ContinuousClock.now

    mutating func error(_ message: String) {
        if errors.count < 10 { errors.append(message) }
    }

    var json: JSON {
        var object: [String: JSON] = [
            "selected": JSON(selected), "pushed": JSON(pushed), "acknowledged": JSON(acknowledged),
            "dead_lettered": JSON(deadLettered), "retry_later": JSON(retryLater), "pulled": JSON(pulled),
            "correlated": JSON(correlated), "enriched": JSON(enriched), "calls": JSON(calls),
            "duration_ms": JSON(Int((ContinuousClock.now - started).wholeMilliseconds)),
        ]
        if !errors.isEmpty { object["errors"] = JSON(errors) }
        return .object(object)
    }
}
