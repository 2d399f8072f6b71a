import PluginSDK

/// Pull through the Table API: the configured query ordered by sys_id (so offsets stay stable while paging),
/// `sysparm_fields` for only the columns needed, and `X-Total-Count` to know when to stop.
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
        let next = offset + rows.count
        let total = response.header("X-Total-Count").flatMap { Int($0) }
        return PullPage(
            records: rows.map { ["key": $0["sys_id"] ?? .null, "fields": $0] }, checkpoint: String(next),
            hasMore: !rows.isEmpty && (total.map { next < $0 } ?? (rows.count == request.pageSize)))
    }
}
