import Foundation

/// A ServiceNow encoded query (`sysparm_query`): conditions joined by `^` (and), `^OR` (or) and `^NQ` (a new query,
/// or-ed with the others), with `ORDERBY`/`ORDERBYDESC` clauses. Field names are lower case and operators upper
/// case, which is how the two are told apart, as ServiceNow does.
struct EncodedQuery: Sendable {
    struct Condition: Sendable {
        let field: String
        let op: String
        let value: String

        func matches(_ record: [String: String]) -> Bool {
            let actual = record[field] ?? ""
            switch op {
            case "=": return actual == value
            case "!=": return actual != value
            case "LIKE": return actual.localizedCaseInsensitiveContains(value)
            case "NOT LIKE": return !actual.localizedCaseInsensitiveContains(value)
            case "STARTSWITH": return actual.lowercased().hasPrefix(value.lowercased())
            case "ENDSWITH": return actual.lowercased().hasSuffix(value.lowercased())
            case "ISEMPTY": return actual.isEmpty
            case "ISNOTEMPTY": return !actual.isEmpty
            case "IN": return value.split(separator: ",").contains { $0 == actual }
            case "NOT IN": return !value.split(separator: ",").contains { $0 == actual }
            default: return Self.compare(actual, value, op)
            }
        }

        /// Numbers compare as numbers; dates (`yyyy-MM-dd HH:mm:ss`) and text compare as text.
        private static func compare(_ left: String, _ right: String, _ op: String) -> Bool {
            let order: ComparisonResult =
                if let a = Double(left), let b = Double(right) {
                    a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
                } else {
                    left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
                }
            switch op {
            case ">": return order == .orderedDescending
            case ">=": return order != .orderedAscending
            case "<": return order == .orderedAscending
            default: return order != .orderedDescending  // "<="
            }
        }
    }

    /// Or-ed groups (`^NQ`) of and-ed clauses, each clause an or-list (`^OR`).
    private var groups: [[[Condition]]] = []
    private(set) var ordering: [(field: String, descending: Bool)] = []

    static let operators = [
        "ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "ENDSWITH", "NOT LIKE", "NOT IN", "LIKE", "IN", "!=", ">=", "<=", "=",
        ">", "<",
    ]

    init(_ text: String) throws(SandboxProblem) {
        var group: [[Condition]] = []
        for token in text.components(separatedBy: "^") where !token.isEmpty && token != "EQ" {
            if token.hasPrefix("ORDERBYDESC") {
                ordering.append((String(token.dropFirst(11)), true))
            } else if token.hasPrefix("ORDERBY") {
                ordering.append((String(token.dropFirst(7)), false))
            } else if token == "NQ" {
                if !group.isEmpty { groups.append(group) }
                group = []
            } else if token.hasPrefix("NQ") {
                if !group.isEmpty { groups.append(group) }
                group = [[try Self.condition(String(token.dropFirst(2)))]]
            } else if token.hasPrefix("OR"), !group.isEmpty {
                group[group.count - 1].append(try Self.condition(String(token.dropFirst(2))))
            } else {
                group.append([try Self.condition(token)])
            }
        }
        if !group.isEmpty { groups.append(group) }
    }

    private static func condition(_ token: String) throws(SandboxProblem) -> Condition {
        let field = String(token.prefix { $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "." })
        let rest = token.dropFirst(field.count)
        guard !field.isEmpty, let op = operators.first(where: { rest.hasPrefix($0) }) else {
            throw SandboxProblem(description: "sysparm_query: cannot read the condition \"\(token)\"")
        }
        return Condition(field: field, op: op, value: String(rest.dropFirst(op.count)))
    }

    func matches(_ record: [String: String]) -> Bool {
        groups.isEmpty
            || groups.contains { group in group.allSatisfy { clause in clause.contains { $0.matches(record) } } }
    }

    /// Sorts by the query's ORDERBY clauses; records keep their stored order otherwise.
    func sorted(_ records: [[String: String]]) -> [[String: String]] {
        guard !ordering.isEmpty else { return records }
        return records.enumerated().sorted { left, right in
            for (field, descending) in ordering {
                let a = left.element[field] ?? ""
                let b = right.element[field] ?? ""
                if a != b { return descending ? a > b : a < b }
            }
            return left.offset < right.offset
        }.map(\.element)
    }
}
