import Foundation
import HostServices
import Inventory
import JSONCore
import PluginRuntime

/// How a job ended, and so what happens to it next.
enum JobOutcome {
    case succeeded(JobStats)
    /// Try again, not before `at` (throttling, a target that is down, a crashed plugin). `targetDown`: the target
    /// could not take the records now (down, throttling): a push never gives up on that, as its records would wait
    /// for a push that may never come.
    case retry(at: Date, JobStats, String, targetDown: Bool = false)
    /// Back to the queue with nothing wrong: the host is stopping, or the integration was disabled (the job goes on
    /// once it is enabled). Not an error a status shows.
    case handedBack(JobStats, String)
    /// Try again at `at`, with nothing wrong with the job either (another process held the store's write lock): not
    /// an attempt, so a job that meets many big ingests never gives up for it.
    case postponed(at: Date, JobStats, String)
    case failed(JobStats, String)
    /// Stop the integration until someone acts (credentials refused): nothing is retried in a loop.
    case paused(String, JobStats)

    /// The pause for refused credentials; the fix is new credentials, and `updateIntegration` with a new
    /// configuration lifts exactly this pause (recognised by `refusedCredentials`).
    static func refusedCredentials(_ message: String, integration: String, _ stats: JobStats) -> JobOutcome {
        .paused(
            "\(refusedCredentials) (\(message)); fix them with "
                + "`cryptoconnect integrations update \(integration) --config FILE`, which resumes it", stats)
    }

    static let refusedCredentials = "the target refused the credentials"

    /// The outcome with every secret `redactor` knows masked in its messages and in the errors its counts keep.
    func redacted(by redactor: Redactor) -> JobOutcome {
        func clean(_ stats: JobStats) -> JobStats {
            var stats = stats
            stats.errors = stats.errors.map(redactor.redact)
            stats.retryReason = stats.retryReason.map(redactor.redact)
            return stats
        }
        return switch self {
        case .succeeded(let stats): .succeeded(clean(stats))
        case .retry(let at, let stats, let error, let targetDown):
            .retry(at: at, clean(stats), redactor.redact(error), targetDown: targetDown)
        case .handedBack(let stats, let reason): .handedBack(clean(stats), redactor.redact(reason))
        case .postponed(let at, let stats, let reason): .postponed(at: at, clean(stats), redactor.redact(reason))
        case .failed(let stats, let error): .failed(clean(stats), redactor.redact(error))
        case .paused(let reason, let stats): .paused(redactor.redact(reason), clean(stats))
        }
    }
}

/// What a job did, kept with it in the queue.
struct JobStats {
    var selected = 0
    var pushed = 0
    var acknowledged = 0
    var deadLettered = 0
    var retryLater = 0
    /// Why the first record left to retry was (a target that is down, throttling): said with the retry.
    var retryReason: String?
    var pulled = 0
    var correlated = 0
    var enriched = 0
    /// Pulled values for inventory records that validation refused: each is named in `errors`, up to their limit.
    var enrichmentsRefused = 0
    var calls = 0
    var errors: [String] = []
    var started = ContinuousClock.now

    init() {}

    /// Counts that go on from an earlier attempt of the same job (stopped by a host that shut down, or retried), so
    /// the job's record says what it did in all, each record once, and for how long it ran in all. What was left
    /// for later is this attempt's own: a delta push selects it again, so the earlier attempts' selection counts
    /// only the records they settled.
    init(resuming earlier: JSON?) {
        func count(_ key: String) -> Int { earlier?[key]?.intValue ?? 0 }
        acknowledged = count("acknowledged")
        deadLettered = count("dead_lettered")
        selected = acknowledged + deadLettered
        pushed = min(count("pushed"), selected)
        pulled = count("pulled")
        correlated = count("correlated")
        enriched = count("enriched")
        enrichmentsRefused = count("enrichments_refused")
        calls = count("calls")
        errors = earlier?["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        started = .now - .milliseconds(count("duration_ms"))
    }

    /// Counts of a full push taken up again after its cursor: the selection too goes on from there.
    init(resumingFull earlier: JSON?) {
        self.init(resuming: earlier)
        selected = earlier?["selected"]?.intValue ?? 0
        pushed = earlier?["pushed"]?.intValue ?? 0
    }

    /// The counts of a job that starts over (a full push whose mapping changed): its calls, errors and time so far,
    /// none of its records, which it sends again.
    var startingOver: JobStats {
        var over = JobStats()
        (over.calls, over.errors, over.started) = (calls, errors, started)
        return over
    }

    /// With a page's enrichments counted: the records they updated, and those refused.
    func counting(_ enrichments: IngestCounts) -> JobStats {
        var counted = self
        counted.enriched += enrichments.updated
        counted.enrichmentsRefused += enrichments.rejected
        return counted
    }

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
        if enrichmentsRefused > 0 { object["enrichments_refused"] = JSON(enrichmentsRefused) }
        if !errors.isEmpty { object["errors"] = JSON(errors) }
        return .object(object)
    }
}
