import Foundation

/// When an integration syncs on its own: `hourly`, `daily`, `weekly`, or a five-field cron expression
/// (`minute hour day-of-month month day-of-week`, UTC, with `*`, lists, ranges and steps; months and days of the
/// week also by their English names' first three letters, `JAN`, `MON-FRI`).
public struct Schedule: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let days: Set<Int>
    private let months: Set<Int>
    private let weekdays: Set<Int>
    /// Both day fields restricted (neither begins with `*`): a day either matches runs, as cron has it; else a day
    /// must match both (`*/2 * MON` is odd days that are Mondays, as Vixie cron reads it).
    private let eitherDay: Bool

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(_ text: String) throws(Problem) {
        let expression: String
        switch text.lowercased() {
        case "hourly": expression = "0 * * * *"
        case "daily": expression = "0 2 * * *"
        case "weekly": expression = "0 2 * * 0"
        default: expression = text
        }
        let fields = expression.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            throw Problem(
                description:
                    "schedule \"\(text)\" must be hourly, daily, weekly or a cron expression with five fields (minute hour day month weekday)"
            )
        }
        self.text = text
        minutes = try Self.field(fields[0], 0...59, "minute", text)
        hours = try Self.field(fields[1], 0...23, "hour", text)
        days = try Self.field(fields[2], 1...31, "day of month", text)
        months = try Self.field(
            try Self.numbered(fields[3], Self.monthNames, from: 1, "month", text), 1...12, "month", text)
        weekdays = Set(
            try Self.field(
                try Self.numbered(fields[4], Self.dayNames, from: 0, "day of week", text), 0...7, "day of week", text
            ).map { $0 % 7 })  // 7 is Sunday too
        eitherDay = !fields[2].hasPrefix("*") && !fields[4].hasPrefix("*")
        // Four years from any start hold every day that exists (February 29 included).
        if next(after: Date(timeIntervalSince1970: 0)) == .distantFuture {
            throw Problem(description: "schedule \"\(text)\" never fires: no date has that day in those months")
        }
    }

    public var description: String { text }

    /// The first run strictly after `date` (minute resolution, UTC).
    public func next(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func floor(_ time: Double, _ unit: Double) -> Double { (time / unit).rounded(.down) * unit }
        var time = floor(date.timeIntervalSince1970, 60) + 60
        // Skips whole days and hours that cannot match; a field that never matches (February 30) gives up after
        // four years.
        let limit = time + 4 * 366 * 86_400
        while time < limit {
            let parts = calendar.dateComponents(
                [.minute, .hour, .day, .month, .weekday], from: Date(timeIntervalSince1970: time))
            let weekday = (parts.weekday! + 6) % 7  // Calendar: Sunday = 1; cron: Sunday = 0
            let (day, weekdayMatches) = (days.contains(parts.day!), weekdays.contains(weekday))
            let dayMatches = eitherDay ? day || weekdayMatches : day && weekdayMatches
            if !months.contains(parts.month!) || !dayMatches {
                time = floor(time, 86_400) + 86_400
            } else if !hours.contains(parts.hour!) {
                time = floor(time, 3600) + 3600
            } else if !minutes.contains(parts.minute!) {
                time += 60
            } else {
                return Date(timeIntervalSince1970: time)
            }
        }
        return Date.distantFuture
    }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// `text` with each name (any case) written as its number, counted from `first`.
    private static func numbered(
        _ text: String, _ names: [String], from first: Int, _ field: String, _ schedule: String
    )
        throws(Problem) -> String
    {
        var output = ""
        var word = ""
        func flush() throws(Problem) {
            guard !word.isEmpty else { return }
            guard let index = names.firstIndex(of: word.uppercased()) else {
                throw Problem(
                    description:
                        "schedule \"\(schedule)\": \"\(word)\" in the \(field) field is no name; use \(names.joined(separator: ", ")) or numbers"
                )
            }
            output += String(index + first)
            word = ""
        }
        for character in text {
            if character.isLetter {
                word.append(character)
            } else {
                try flush()
                output.append(character)
            }
        }
        try flush()
        return output
    }

    /// `3-5`, or `3` for a range of one.
    private static func span(_ low: Int, _ high: Int) -> String { low == high ? "\(low)" : "\(low)-\(high)" }

    private static func field(_ text: String, _ range: ClosedRange<Int>, _ name: String, _ schedule: String)
        throws(Problem) -> Set<Int>
    {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else {
                throw Problem(description: "schedule \"\(schedule)\": an empty item in the \(name) field \"\(text)\"")
            }
            let pieces = part.split(separator: "/", maxSplits: 1)
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else {
                throw Problem(description: "schedule \"\(schedule)\": bad step in the \(name) field \"\(part)\"")
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let low = Int(pieces[0][..<dash]), let high = Int(pieces[0][pieces[0].index(after: dash)...]),
                    range.contains(low), range.contains(high)
                else {
                    throw Problem(
                        description:
                            "schedule \"\(schedule)\": the \(name) field \"\(part)\" is outside \(range.lowerBound)-\(range.upperBound)"
                    )
                }
                guard low <= high else {
                    throw Problem(
                        description:
                            "schedule \"\(schedule)\": the \(name) range \"\(part)\" runs backwards (ranges do not wrap): "
                            + "write \(Self.span(low, range.upperBound)),\(Self.span(range.lowerBound, high)) to go round, or "
                            + "\(high)-\(low)"
                    )
                }
                span = low...high
            } else {
                guard let value = Int(pieces[0]), range.contains(value) else {
                    throw Problem(
                        description:
                            "schedule \"\(schedule)\": the \(name) field \"\(part)\" is outside \(range.lowerBound)-\(range.upperBound)"
                    )
                }
                span = value...(pieces.count == 2 ? range.upperBound : value)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }
}
