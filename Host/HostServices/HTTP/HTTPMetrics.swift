import Foundation
import JSONCore
import PluginRuntime

/// What one integration's HTTP traffic looked like: requests, failures by class, latency, bytes, retries and time
/// spent throttled. Cheap to update from any thread; a snapshot is a plain value that serialises to JSON.
public final class HTTPMetrics: @unchecked Sendable {
    /// Upper bounds (ms) of the latency histogram's buckets; the last bucket is open-ended.
    static let bucketBounds: [Double] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]

    private let lock = NSLock()
    private var value = HTTPMetricsSnapshot()

    public init() {}

    public init(restoring snapshot: HTTPMetricsSnapshot) { value = snapshot }

    public var snapshot: HTTPMetricsSnapshot { lock.withLock { value } }

    func recordAttempt(latency: Duration, sent: Int, received: Int) {
        let milliseconds = latency.timeInterval * 1000
        lock.withLock {
            value.attempts += 1
            value.bytesSent += sent
            value.bytesReceived += received
            value.latencyTotalMilliseconds += milliseconds
            value.latencyMaximumMilliseconds = max(value.latencyMaximumMilliseconds, milliseconds)
            let bucket = Self.bucketBounds.firstIndex { milliseconds <= $0 } ?? Self.bucketBounds.count
            value.latencyBuckets[bucket] += 1
        }
    }

    func recordRequest(failure: FailureClass?) {
        lock.withLock {
            value.requests += 1
            if let failure { value.failures[failure.rawValue, default: 0] += 1 }
        }
    }

    func recordRetry() { lock.withLock { value.retries += 1 } }

    func recordThrottled(_ waited: Duration) {
        guard waited > .zero else { return }
        lock.withLock {
            value.throttledMilliseconds += Int(waited.wholeMilliseconds)
        }
    }
}

public struct HTTPMetricsSnapshot: Sendable, Equatable {
    /// Calls plugins (or the host) made; each may take several attempts.
    public var requests = 0
    /// Requests sent over the wire, retries included.
    public var attempts = 0
    public var failures: [String: Int] = [:]
    public var retries = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var throttledMilliseconds = 0
    public var latencyTotalMilliseconds = 0.0
    public var latencyMaximumMilliseconds = 0.0
    public var latencyBuckets = [Int](repeating: 0, count: HTTPMetrics.bucketBounds.count + 1)

    public init() {}

    public var averageLatencyMilliseconds: Double { attempts == 0 ? 0 : latencyTotalMilliseconds / Double(attempts) }

    /// The latency under which `fraction` of attempts completed, to the histogram's resolution.
    public func latencyPercentileMilliseconds(_ fraction: Double) -> Double {
        let target = Int((Double(attempts) * fraction).rounded(.up))
        var seen = 0
        for (index, count) in latencyBuckets.enumerated() {
            seen += count
            if seen >= target, target > 0 {
                // A bucket's upper bound, never past the slowest attempt seen (a p95 of 50 beside a max of 47.6).
                return index < HTTPMetrics.bucketBounds.count
                    ? min(HTTPMetrics.bucketBounds[index], latencyMaximumMilliseconds) : latencyMaximumMilliseconds
            }
        }
        return 0
    }

    public var json: JSON {
        [
            "requests": JSON(requests), "attempts": JSON(attempts),
            "failures": .object(failures.mapValues { JSON($0) }), "retries": JSON(retries),
            "bytes_sent": JSON(bytesSent), "bytes_received": JSON(bytesReceived),
            "throttled_ms": JSON(throttledMilliseconds), "latency_total_ms": JSON(latencyTotalMilliseconds),
            "latency_max_ms": JSON(latencyMaximumMilliseconds),
            "latency_buckets": .array(latencyBuckets.map { JSON($0) }),
            "latency_avg_ms": JSON(averageLatencyMilliseconds),
            "latency_p95_ms": JSON(latencyPercentileMilliseconds(0.95)),
        ]
    }

    public init(json: JSON) {
        requests = json["requests"]?.intValue ?? 0
        attempts = json["attempts"]?.intValue ?? 0
        failures = (json["failures"]?.objectValue ?? [:]).compactMapValues(\.intValue)
        retries = json["retries"]?.intValue ?? 0
        bytesSent = json["bytes_sent"]?.intValue ?? 0
        bytesReceived = json["bytes_received"]?.intValue ?? 0
        throttledMilliseconds = json["throttled_ms"]?.intValue ?? 0
        latencyTotalMilliseconds = json["latency_total_ms"]?.doubleValue ?? 0
        latencyMaximumMilliseconds = json["latency_max_ms"]?.doubleValue ?? 0
        let buckets = json["latency_buckets"]?.arrayValue?.compactMap(\.intValue) ?? []
        if buckets.count == latencyBuckets.count { latencyBuckets = buckets }
    }
}
