import Foundation
import JSONCore
import LoopbackHTTP

/// The Table API: every value a string, references as `{link, value}`, offset paging with `X-Total-Count` and
/// `Link`, v1's 404 on an empty answer.
extension ServiceNowSimulator {
    func list(_ table: String, _ request: HTTPServerRequest, version2: Bool) -> HTTPServerResponse {
        let parameters = request.queryItems
        let query: EncodedQuery
        do { query = try EncodedQuery(parameters["sysparm_query"] ?? "") } catch {
            return failure(status: 400, message: error.description)
        }
        guard let limit = Int(parameters["sysparm_limit"] ?? "10000"), limit > 0,
            let offset = Int(parameters["sysparm_offset"] ?? "0"), offset >= 0
        else { return failure(status: 400, message: "sysparm_limit and sysparm_offset must be non-negative numbers") }
        let matching =
            table == "sys_dictionary"
            ? query.sorted(Self.dictionary.filter(query.matches))
            : lock.withLock {
                query.sorted(order.compactMap { records[$0] }.filter { isA($0, table) && query.matches($0) })
            }
        let hidden = lock.withLock { restricted }
        let page = matching.dropFirst(offset).prefix(limit).filter { !hidden.contains($0["sys_id"] ?? "") }
        if page.isEmpty && !version2 { return failure(status: 404, message: "No Record found") }
        var headers: [(name: String, value: String)] = []
        if parameters["sysparm_no_count"] != "true" { headers.append(("X-Total-Count", String(matching.count))) }
        headers.append(("Link", links(request, table: table, total: matching.count, offset: offset, limit: limit)))
        let rendered = page.map { render($0, request) }
        return .json(200, ["result": .array(rendered)], headers: headers)
    }

    func single(_ table: String, _ sysID: String, _ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let record = lock.withLock({ records[sysID] }), isA(record, table) else {
            return failure(status: 404, message: "No Record found")
        }
        return .json(200, ["result": render(record, request)])
    }

    func create(_ table: String, _ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let values = request.jsonBody?.objectValue else {
            return failure(status: 400, message: "Exception while reading request: the body is not a JSON object")
        }
        let record = lock.withLock { insert(table, values.compactMapValues(Self.text), source: nil) }
        return .json(
            201, ["result": render(record, request)],
            headers: [("Location", "/api/now/table/\(table)/\(record["sys_id"]!)")])
    }

    func update(_ table: String, _ sysID: String, _ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let values = request.jsonBody?.objectValue else {
            return failure(status: 400, message: "Exception while reading request: the body is not a JSON object")
        }
        let updated = lock.withLock { () -> [String: String]? in
            guard let record = records[sysID], isA(record, table) else { return nil }
            return apply(values.compactMapValues(Self.text), to: sysID).record
        }
        guard let updated else { return failure(status: 404, message: "No Record found") }
        return .json(200, ["result": render(updated, request)])
    }

    func delete(_ table: String, _ sysID: String) -> HTTPServerResponse {
        let removed = lock.withLock { () -> Bool in
            guard let record = records[sysID], isA(record, table) else { return false }
            records[sysID] = nil
            order.removeAll { $0 == sysID }
            sources = sources.filter { $0.value != sysID }
            return true
        }
        return removed ? HTTPServerResponse(status: 204) : failure(status: 404, message: "No Record found")
    }

    /// Inserts a CI of `table` with the given columns (unknown columns are ignored, as ServiceNow does).
    func insert(_ table: String, _ values: [String: String], source: String?) -> [String: String] {
        let sysID = nextIdentifier()
        let now = Self.timestamp()
        var record = Self.columns.reduce(into: [String: String]()) { $0[$1] = "" }
        for (key, value) in values where Self.columns.contains(key) { record[key] = value }
        record["sys_id"] = sysID
        record["sys_class_name"] = table
        record["sys_created_on"] = now
        record["sys_updated_on"] = now
        if record["operational_status"]!.isEmpty { record["operational_status"] = "1" }
        if record["install_status"]!.isEmpty { record["install_status"] = "1" }
        records[sysID] = record
        order.append(sysID)
        if let source { sources[source] = sysID }
        return record
    }

    /// Applies columns to a CI; reports whether anything changed.
    func apply(_ values: [String: String], to sysID: String) -> (record: [String: String], changed: Bool) {
        var record = records[sysID]!
        var changed = false
        for (key, value) in values where Self.columns.contains(key) && !Self.systemColumns.contains(key) {
            if record[key] != value {
                record[key] = value
                changed = true
            }
        }
        if changed { record["sys_updated_on"] = Self.timestamp() }
        records[sysID] = record
        return (record, changed)
    }

    /// Whether a CI is of `table` or one of its subclasses.
    func isA(_ record: [String: String], _ table: String) -> Bool {
        var current: String? = record["sys_class_name"]
        while let name = current {
            if name == table { return true }
            current = Self.classes[name] ?? nil
        }
        return false
    }

    private func render(_ record: [String: String], _ request: HTTPServerRequest) -> JSON {
        let parameters = request.queryItems
        let wanted = parameters["sysparm_fields"].map { Set($0.split(separator: ",").map(String.init)) }
        let display = parameters["sysparm_display_value"] ?? "false"
        let excludeLinks = parameters["sysparm_exclude_reference_link"] == "true"
        var out: [String: JSON] = [:]
        for (key, value) in record where wanted?.contains(key) ?? true {
            if Self.referenceColumns.contains(key), !value.isEmpty {
                let sysID = Self.referenceID(value)
                let link = "http://\(request.header("Host") ?? "127.0.0.1")/api/now/table/core_company/\(sysID)"
                switch display {
                case "true":
                    out[key] = excludeLinks ? .string(value) : ["link": .string(link), "display_value": .string(value)]
                case "all":
                    out[key] = ["link": .string(link), "value": .string(sysID), "display_value": .string(value)]
                default: out[key] = excludeLinks ? .string(sysID) : ["link": .string(link), "value": .string(sysID)]
                }
            } else {
                out[key] = .string(value)
            }
        }
        return .object(out)
    }

    private func links(_ request: HTTPServerRequest, table: String, total: Int, offset: Int, limit: Int) -> String {
        var others = request.queryItems
        let base = "http://\(request.header("Host") ?? "127.0.0.1")\(request.path)"
        func link(_ at: Int, _ relation: String) -> String {
            others["sysparm_offset"] = String(at)
            others["sysparm_limit"] = String(limit)
            let query = others.sorted { $0.key < $1.key }.map {
                "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowedStrict) ?? $0.value)"
            }
            return "<\(base)?\(query.joined(separator: "&"))>;rel=\"\(relation)\""
        }
        let last = total == 0 ? 0 : (total - 1) / limit * limit
        var parts = [link(0, "first")]
        if offset > 0 { parts.append(link(max(0, offset - limit), "prev")) }
        if offset + limit < total { parts.append(link(offset + limit, "next")) }
        parts.append(link(last, "last"))
        return parts.joined(separator: ",")
    }

    /// ServiceNow stores every value as text; numbers and booleans a client sends are kept as their text.
    static func text(_ value: JSON) -> String? {
        switch value {
        case .string(let text): return text
        case .null: return ""
        case .bool(let flag): return flag ? "true" : "false"
        case .object, .array: return value.serialized()
        default: return value.serialized()
        }
    }
}

extension CharacterSet {
    /// Query-value characters that need no escaping (`&`, `=`, `^` and `+` do).
    static let urlQueryAllowedStrict = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+^"))
}
