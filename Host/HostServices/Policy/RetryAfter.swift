import Foundation
import PluginABI

/// When a throttling or unavailable answer says to come back: `Retry-After` (seconds or an HTTP date),
/// `X-RateLimit-Reset` (Unix seconds as ServiceNow sends it, or an ISO-8601 date as Jira does) and Qualys's
/// `X-RateLimit-ToWait-Sec`.
enum RetryAfter {
    static func delay(statusCode: Int, headers: [HTTPHeader], now: Date = Date()) -> Duration? {
        guard
            [429, 503].contains(statusCode)
                || (statusCode == 409 && headers.value(for: "X-RateLimit-ToWait-Sec") != nil)
        else { return nil }
        if let text = headers.value(for: "Retry-After") {
            if let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
                return wait(seconds)
            }
            if let date = httpDate(text) { return wait(date.timeIntervalSince(now)) }
        }
        if let text = headers.value(for: "X-RateLimit-ToWait-Sec"), let seconds = Double(text), seconds >= 0 {
            return wait(seconds)
        }
        if let text = headers.value(for: "X-RateLimit-Reset") {
            if let epoch = Double(text) {
                // Small numbers are a delay in seconds (some APIs); large ones a Unix time.
                let seconds = epoch > 1_000_000_000 ? epoch - now.timeIntervalSince1970 : epoch
                return wait(seconds)
            }
            if let date = try? Date(text, strategy: .iso8601) { return wait(date.timeIntervalSince(now)) }
        }
        return nil
    }

    /// A wait of `seconds`, from none up to `longest`: a target's `1e20` or `inf` is a long pause, not a crash.
    private static func wait(_ seconds: Double) -> Duration {
        guard seconds > 0 else { return .zero }
        return .milliseconds(Int64(min(seconds, longest / .seconds(1)) * 1000))
    }

    /// The longest pause a target can ask for; the job comes back then and asks again.
    static let longest: Duration = .seconds(86_400)

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }
}
