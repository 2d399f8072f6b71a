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
                return .milliseconds(Int(seconds * 1000))
            }
            if let date = httpDate(text) { return max(.zero, .milliseconds(Int(date.timeIntervalSince(now) * 1000))) }
        }
        if let text = headers.value(for: "X-RateLimit-ToWait-Sec"), let seconds = Double(text), seconds >= 0 {
            return .milliseconds(Int(seconds * 1000))
        }
        if let text = headers.value(for: "X-RateLimit-Reset") {
            if let epoch = Double(text) {
                // Small numbers are a delay in seconds (some APIs); large ones a Unix time.
                let seconds = epoch > 1_000_000_000 ? epoch - now.timeIntervalSince1970 : epoch
                return .milliseconds(Int(max(0, seconds) * 1000))
            }
            if let date = try? Date(text, strategy: .iso8601) {
                return .milliseconds(Int(max(0, date.timeIntervalSince(now)) * 1000))
            }
        }
        return nil
    }

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }
}
