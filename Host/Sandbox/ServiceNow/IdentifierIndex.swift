/// Hardware CIs by identifier value (serial number, name, FQDN, IP address), built once per IRE request and kept
/// current as its items insert and update CIs: identifying an item is a lookup instead of a scan of every CI.
struct IdentifierIndex {
    private var byValue: [String: [String: Set<String>]] = [:]
    /// The identifier values indexed for each CI, to take them out when the CI changes.
    private var indexed: [String: [String: String]] = [:]

    /// The CIs whose `attribute` is `value`.
    func matches(_ attribute: String, _ value: String) -> Set<String> { byValue[attribute]?[value] ?? [] }

    /// (Re)indexes one CI as it now stands; nil, or a CI that is not hardware, takes it out.
    mutating func update(_ sysID: String, _ record: [String: String]?) {
        for (attribute, value) in indexed.removeValue(forKey: sysID) ?? [:] {
            byValue[attribute]?[value]?.remove(sysID)
        }
        guard let record else { return }
        var values: [String: String] = [:]
        for attribute in ServiceNowSimulator.identifiers {
            guard let value = record[attribute], !value.isEmpty else { continue }
            values[attribute] = value
            byValue[attribute, default: [:]][value, default: []].insert(sysID)
        }
        indexed[sysID] = values
    }
}
