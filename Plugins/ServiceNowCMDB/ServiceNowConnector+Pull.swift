import PluginSDK

/// Pull through the Table API: the configured query ordered by sys_id (so offsets stay stable while paging),
/// `sysparm_fields` for only the columns needed, and the `Link` header's next page (or `X-Total-Count`) to know
/// where to go on. A page can come back short, or empty while more follow: ServiceNow leaves out the rows the
/// integration user may not read after the query ran, so the next page starts after the rows asked for, not after
/// those returned.
extension ServiceNowConnector {
    func pull(_ request: PullRequest) throws -> PullPage {
        let offset = Int(request.checkpoint ?? "0") ?? 0
        let query = pullQuery.isEmpty ? "ORDERBYsys_id" : "\(pullQuery)^ORDERBYsys_id"
        let fields = Set(pullFields + ["sys_id"]).sorted().joined(separator: ",")
        let path =
            "/api/now/v2/table/\(pullTable)?sysparm_query=\(PercentEncoding.encode(query))&sysparm_fields=\(fields)"
            + "&sysparm_limit=\(request.pageSize)&sysparm_offset=\(offset)&sysparm_exclude_reference_link=true"
        let response = try host.send(.get(path))
        if let failure = ServiceNowError.failure(response, "reading \(pullTable)") { throw failure }
        let rows = try response.json("the \(pullTable) page")["result"]?.arrayValue ?? []
        let total = response.header("X-Total-Count").flatMap { Int($0) }
        // A next link that does not move on (or that cannot be read) is not followed: the total says whether more
        // follow, after the rows asked for.
        let linked = response.header("Link").flatMap(Self.nextOffset).flatMap { $0 > offset ? $0 : nil }
        let next = linked ?? offset + request.pageSize
        let hasMore = linked != nil || (total.map { next < $0 } ?? (rows.count == request.pageSize))
        return PullPage(
            records: rows.map { ["key": $0["sys_id"] ?? .null, "fields": $0] }, checkpoint: String(next),
            hasMore: hasMore)
    }

    /// The `sysparm_offset` of a `Link` header's `rel="next"` page, or nil when it names none (the last page).
    /// Each link is `<url>;rel="..."`; a URL may hold commas (`sysparm_fields`), so links are found by their
    /// brackets, not by splitting at commas.
    static func nextOffset(_ link: String) -> Int? {
        var rest = link[...]
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let url = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            let parameters = rest.prefix { $0 != "<" }
            guard parameters.contains(#"rel="next""#),
                let query = url.split(separator: "?", maxSplits: 1).dropFirst().first
            else { continue }
            for item in query.split(separator: "&") where item.hasPrefix("sysparm_offset=") {
                return Int(item.dropFirst("sysparm_offset=".count))
            }
        }
        return nil
    }
}
