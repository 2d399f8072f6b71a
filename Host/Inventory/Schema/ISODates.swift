import Foundation

/// ISO 8601 dates and date-times, parsed leniently and written canonically in UTC. The common shapes
/// (`2026-03-14`, `2026-03-14T09:30:00Z`, with fractions or an offset) are handled by hand, because Foundation's
/// parser costs more than validating a whole record; anything else falls back to Foundation.
public enum ISODates {
    /// Nil for anything but a date that exists, in UTC between the years 0001 and 9999 (what `day` and `dateTime`
    /// write: `9999-12-31T23:00:00-05:00` is in the year 10000).
    public static func parse(_ text: String) -> Date? {
        guard let date = parseAnyYear(text), writable.contains(date) else { return nil }
        return date
    }

    /// 0001-01-01T00:00:00Z up to 9999-12-31T23:59:59Z.
    static let writable =
        Date(timeIntervalSince1970: -62_135_596_800)...Date(timeIntervalSince1970: 253_402_300_799)

    private static func parseAnyYear(_ text: String) -> Date? {
        if let fast = parseCommon(text) { return fast }
        // Foundation rolls an impossible day over (2026-02-30 would become 03-02): a calendar day must exist.
        if let (year, month, day) = calendarDay(Array(text.utf8)),
            !(1...12).contains(month) || !(1...daysIn(month, year)).contains(day)
        {
            return nil
        }
        if text.count == 10, let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return day }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// `2026-03-14`
    public static func day(_ date: Date) -> String {
        let (year, month, day, _) = civil(date)
        var text: [UInt8] = []
        text.reserveCapacity(10)
        append(year, 4, to: &text, then: 0x2D)
        append(month, 2, to: &text, then: 0x2D)
        append(day, 2, to: &text, then: nil)
        return String(decoding: text, as: UTF8.self)
    }

    /// `2026-03-14T09:30:00Z`
    public static func dateTime(_ date: Date) -> String {
        let (year, month, day, seconds) = civil(date)
        var text: [UInt8] = []
        text.reserveCapacity(20)
        append(year, 4, to: &text, then: 0x2D)
        append(month, 2, to: &text, then: 0x2D)
        append(day, 2, to: &text, then: 0x54)
        append(seconds / 3600, 2, to: &text, then: 0x3A)
        append(seconds / 60 % 60, 2, to: &text, then: 0x3A)
        append(seconds % 60, 2, to: &text, then: 0x5A)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `value` zero-padded to `width` digits, then the separator.
    private static func append(_ value: Int, _ width: Int, to text: inout [UInt8], then separator: UInt8?) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            text.append(0x30 + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
        if let separator { text.append(separator) }
    }

    /// The `YYYY-MM-DD` a text starts with, whether or not that day exists.
    private static func calendarDay(_ b: [UInt8]) -> (year: Int, month: Int, day: Int)? {
        guard b.count >= 10, b[4] == 0x2D, b[7] == 0x2D, let year = digits(b, 0, 4), let month = digits(b, 5, 2),
            let day = digits(b, 8, 2)
        else { return nil }
        return (year, month, day)
    }

    private static func digits(_ b: [UInt8], _ from: Int, _ count: Int) -> Int? {
        guard from + count <= b.count else { return nil }
        var value = 0
        for index in from..<from + count {
            guard b[index] >= 0x30, b[index] <= 0x39 else { return nil }
            value = value * 10 + Int(b[index] - 0x30)
        }
        return value
    }

    private static func parseCommon(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? { Self.digits(b, from, count) }
        guard let (year, month, day) = calendarDay(b), (1...12).contains(month), (1...daysIn(month, year)).contains(day)
        else { return nil }
        var seconds = 0.0
        var offset = 0
        if b.count > 10 {
            guard b.count >= 20, b[10] == 0x54 || b[10] == 0x20, b[13] == 0x3A, b[16] == 0x3A, let hour = digits(11, 2),
                let minute = digits(14, 2), let second = digits(17, 2), hour < 24, minute < 60, second < 61
            else { return nil }
            seconds = Double(hour * 3600 + minute * 60 + second)
            var index = 19
            if b[index] == 0x2E {  // fraction
                index += 1
                var scale = 0.1
                while index < b.count, b[index] >= 0x30, b[index] <= 0x39 {
                    seconds += Double(b[index] - 0x30) * scale
                    scale /= 10
                    index += 1
                }
            }
            guard index < b.count else { return nil }
            switch b[index] {
            case 0x5A where index == b.count - 1: break  // Z
            case 0x2B, 0x2D:  // +hh:mm or -hh:mm
                guard b.count == index + 6, b[index + 3] == 0x3A, let hours = digits(index + 1, 2),
                    let minutes = digits(index + 4, 2), hours < 24, minutes < 60
                else { return nil }
                offset = (hours * 3600 + minutes * 60) * (b[index] == 0x2B ? 1 : -1)
            default: return nil
            }
        }
        let days = daysFromCivil(year, month, day)
        return Date(timeIntervalSince1970: Double(days) * 86_400 + seconds - Double(offset))
    }

    private static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(_ date: Date) -> (year: Int, month: Int, day: Int, seconds: Int) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = Int((Double(total) / 86_400).rounded(.down))
        let seconds = total - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day, seconds)
    }
}
