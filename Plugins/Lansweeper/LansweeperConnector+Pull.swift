import PluginSDK

/// Pull: site by site, `assetResources` with FIRST then NEXT and the cursor Lansweeper returned. The checkpoint
/// carries the site list, the site being read and its cursor, so an interrupted pull resumes where it stopped.
extension LansweeperConnector {
    func pull(_ request: PullRequest) throws -> PullPage {
        let checkpoint = request.checkpoint.flatMap { try? JSON.parse($0) }
        let siteList = try checkpoint?["sites"]?.arrayValue?.compactMap(\.stringValue) ?? sites()
        let index = checkpoint?["index"]?.intValue ?? 0
        guard index < siteList.count else { return PullPage(records: [], checkpoint: nil, hasMore: false) }
        let site = siteList[index]
        let cursor = checkpoint?["cursor"]?.stringValue
        let limit = min(max(request.pageSize, 1), 500)
        let pagination =
            cursor.map { "{limit: \(limit), page: NEXT, cursor: \(Self.quote($0))}" }
            ?? "{limit: \(limit), page: FIRST}"
        let fields = Self.pulledFields.map { Self.quote($0.path) }.joined(separator: ", ")
        let filters = assetFilter.map { ", filters: \(Self.literal($0))" } ?? ""
        // No `total`: Lansweeper refuses it with any page but the first.
        let data = try graphQL(
            "{ site(id: \(Self.quote(site))) { assetResources(assetPagination: \(pagination), fields: [\(fields)]\(filters)) "
                + "{ pagination { limit current next page } items } } }",
            "reading assets of site \(site)")
        let resources = data[path: "site.assetResources"] ?? .null
        let records: [JSON] = (resources["items"]?.arrayValue ?? []).map { item in
            var flat: [String: JSON] = ["site_id": .string(site)]
            for (path, name) in Self.pulledFields { flat[name] = item[path: path] ?? .null }
            return ["key": item["key"] ?? .null, "fields": .object(flat)]
        }
        let next = resources[path: "pagination.next"]?.stringValue
        let following: JSON? =
            next != nil
            ? ["sites": JSON(siteList), "index": JSON(index), "cursor": .string(next!)]
            : index + 1 < siteList.count ? ["sites": JSON(siteList), "index": JSON(index + 1)] : nil
        return PullPage(records: records, checkpoint: following?.serialized(), hasMore: following != nil)
    }

    /// A JSON value written as a GraphQL input literal: object keys bare, operators and conjunctions as enum
    /// values, everything else as JSON (whose string escapes GraphQL shares).
    static func literal(_ value: JSON, key: String? = nil) -> String {
        if let object = value.objectValue {
            let fields = object.keys.sorted().map { "\($0): \(literal(object[$0]!, key: $0))" }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        if let list = value.arrayValue { return "[" + list.map { literal($0, key: key) }.joined(separator: ", ") + "]" }
        if key == "operator" || key == "conjunction", let text = value.stringValue { return text }
        return value.serialized()
    }
}
