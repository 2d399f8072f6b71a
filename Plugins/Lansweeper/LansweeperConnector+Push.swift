import PluginSDK

/// Push: find each record's asset by name (FQDN or its host part) or IP address, then write the mapped custom
/// fields with one aliased `editAsset` mutation per site. Lansweeper discovers assets itself, so a record whose
/// asset is not found is reported, never created.
extension LansweeperConnector {
    /// Each record costs up to three filter conditions; Lansweeper allows 100 per query.
    static let recordsPerLookup = 33

    func push(_ records: [PushRecord]) throws -> [RecordResult] {
        var results: [String: RecordResult] = [:]
        var pending: [PushRecord] = []
        for record in records {
            if record.operation == .delete {
                // Lansweeper owns the asset; a record leaving the inventory leaves the asset as it is.
                results[record.key] = .unchanged(record.key, externalID: record.externalID)
            } else if let bad = record.fields.keys.sorted().first(where: {
                !Self.identityFields.contains($0) && Self.edit($0) == nil
            }) {
                results[record.key] = .failed(
                    record.key,
                    .data(
                        "field \(bad) is not writable in Lansweeper: map crypto data to description or custom1…custom20"
                    ))
            } else {
                pending.append(record)
            }
        }
        for site in try sites() where !pending.isEmpty {
            var found: [(record: PushRecord, asset: String)] = []
            for start in stride(from: 0, to: pending.count, by: Self.recordsPerLookup) {
                let chunk = Array(pending[start..<min(start + Self.recordsPerLookup, pending.count)])
                let assets = try lookup(chunk, site: site)
                for record in chunk { if let key = Self.match(record, in: assets) { found.append((record, key)) } }
            }
            let matched = Set(found.map(\.record.key))
            pending.removeAll { matched.contains($0.key) }
            for (key, result) in try edit(found, site: site) { results[key] = result }
        }
        for record in pending {
            let name = record.fields["name"]?.stringValue ?? "-"
            let ip = record.fields["ip_address"]?.stringValue ?? "-"
            results[record.key] = .failed(
                record.key, .notFound("no Lansweeper asset named \(name) or with IP \(ip) in the configured sites"))
        }
        return records.map { results[$0.key]! }
    }

    /// Assets of `site` whose name or IP matches one of the records.
    private func lookup(_ records: [PushRecord], site: String) throws -> [JSON] {
        var conditions: [JSON] = []
        for record in records {
            for name in Self.names(record) {
                conditions.append(["operator": "EQUAL", "path": "assetBasicInfo.name", "value": .string(name)])
            }
            if let ip = record.fields["ip_address"]?.stringValue {
                conditions.append(["operator": "EQUAL", "path": "assetBasicInfo.ipAddress", "value": .string(ip)])
            }
        }
        guard !conditions.isEmpty else { return [] }
        let filters = Self.literal(["conjunction": "OR", "conditions": .array(conditions)])
        let data = try graphQL(
            "{ site(id: \(Self.quote(site))) { assetResources(assetPagination: {limit: 500, page: FIRST}, "
                + #"fields: ["key", "assetBasicInfo.name", "assetBasicInfo.ipAddress"], filters: \#(filters)) { items } } }"#,
            "looking up \(records.count) assets in site \(site)")
        return data[path: "site.assetResources.items"]?.arrayValue ?? []
    }

    /// A name match wins over an IP match (addresses get reused).
    private static func match(_ record: PushRecord, in assets: [JSON]) -> String? {
        let names = Set(names(record).map { $0.lowercased() })
        if let asset = assets.first(where: {
            names.contains($0[path: "assetBasicInfo.name"]?.stringValue?.lowercased() ?? "")
        }) {
            return asset["key"]?.stringValue
        }
        guard let ip = record.fields["ip_address"]?.stringValue else { return nil }
        return assets.first { $0[path: "assetBasicInfo.ipAddress"]?.stringValue == ip }?["key"]?.stringValue
    }

    /// The record's host name and, for an FQDN, its host part: Lansweeper names assets by their short name.
    private static func names(_ record: PushRecord) -> [String] {
        guard let name = record.fields["name"]?.stringValue, !name.isEmpty else { return [] }
        guard let short = HostNames.shortName(name), short != name else { return [name] }
        return [name, short]
    }

    /// One mutation, one alias per asset; a failed alias fails only its record.
    private func edit(_ found: [(record: PushRecord, asset: String)], site: String) throws -> [String: RecordResult] {
        guard !found.isEmpty else { return [:] }
        var selections: [String] = []
        for (index, item) in found.enumerated() {
            var sections: [String: [String: JSON]] = [:]
            for (field, value) in item.record.fields {
                guard let (section, name) = Self.edit(field) else { continue }
                let text = value.stringValue ?? value.serialized()
                sections[section, default: [:]][name] = ["value": .string(text)]
            }
            let fields = Self.literal(.object(sections.mapValues(JSON.object)))
            selections.append("a\(index): editAsset(key: \(Self.quote(item.asset)), fields: \(fields)) { key }")
        }
        let (data, errors) = try graphQLAnswer(
            "mutation { site(id: \(Self.quote(site))) { \(selections.joined(separator: " ")) } }",
            "writing \(found.count) assets in site \(site)")
        var results: [String: RecordResult] = [:]
        for (index, item) in found.enumerated() {
            if data[path: "site.a\(index).key"]?.stringValue != nil {
                results[item.record.key] = .updated(item.record.key, externalID: item.asset)
            } else {
                let alias = "a\(index)"
                let own = errors.filter { Self.alias(of: $0) == alias }
                let action = "asset \(item.asset) in site \(site)"
                let message = own.first?["message"]?.stringValue
                results[item.record.key] = .failed(
                    item.record.key,
                    Self.failure(of: own, action) ?? .data("\(action): \(message ?? "Lansweeper did not write it")"))
            }
        }
        return results
    }

    /// `custom7` → assetCustom.custom7, `description` → assetBasicInfo.description; nil for anything else.
    static func edit(_ field: String) -> (section: String, name: String)? {
        if field == "description" { return ("assetBasicInfo", "description") }
        guard field.hasPrefix("custom"), let number = Int(field.dropFirst(6)), (1...20).contains(number) else {
            return nil
        }
        return ("assetCustom", field)
    }
}
