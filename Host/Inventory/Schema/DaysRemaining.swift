import Foundation

/// Days left until an expiry, counted one way for events, the `date_to_days_remaining` transform and the
/// `expires_within_days` filter. A date alone is valid through that day, counted in calendar days (UTC): 0 on the
/// day itself, -1 the day after. A date with a time counts the time left, rounded down.
public enum DaysRemaining {
    static let day: TimeInterval = 86_400

    /// Nil when `text` is no date.
    public static func until(_ text: String, now: Date) -> Int? {
        guard let date = ISODates.parse(text) else { return nil }
        if isDateAlone(text) {
            return Int(
                (date.timeIntervalSince1970 / day).rounded(.down) - (now.timeIntervalSince1970 / day).rounded(.down))
        }
        return Int((date.timeIntervalSince(now) / day).rounded(.down))
    }

    /// The first whole second after `now` at which the count for `text` drops; nil when `text` is no date.
    public static func nextChange(of text: String, after now: Date) -> Date? {
        guard let date = ISODates.parse(text) else { return nil }
        if isDateAlone(text) {  // the next midnight, UTC
            return Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / day).rounded(.down) + 1) * day)
        }
        let days = (date.timeIntervalSince(now) / day).rounded(.down)
        let lastHeld = date.addingTimeInterval(-days * day).timeIntervalSince1970
        return Date(timeIntervalSince1970: lastHeld.rounded(.down) + 1)
    }

    /// `2026-03-14`, as the store writes a date without a time.
    static func isDateAlone(_ text: String) -> Bool { text.utf8.count == 10 }
}
