import HostServices
import Testing

/// Percentiles from the latency histogram: a bucket's upper bound, never past the slowest attempt seen.
@Suite struct HTTPMetricsTests {
    @Test func aPercentileIsNeverAboveTheMaximum() {
        var snapshot = HTTPMetricsSnapshot()
        snapshot.attempts = 20
        snapshot.latencyMaximumMilliseconds = 47.6
        snapshot.latencyBuckets[3] = 20  // every attempt between 25 and 50 ms
        #expect(snapshot.latencyPercentileMilliseconds(0.95) == 47.6)
        snapshot.latencyMaximumMilliseconds = 80
        snapshot.latencyBuckets[3] = 19
        snapshot.latencyBuckets[4] = 1  // one between 50 and 100 ms
        #expect(snapshot.latencyPercentileMilliseconds(0.95) == 50)
    }
}
