import JSONCore

/// Which system owns a field when pulled asset context and the inventory disagree. The policy maps a dotted path
/// or a section (`asset.environment`, `crypto_implementation`) to `itam` or `platform`; the most specific entry
/// wins, and unlisted fields belong to the platform. Host name and IP address are never taken over: they are how
/// records are correlated in the first place.
struct SourceOfTruth {
    let policy: [String: String]

    init(_ json: JSON) {
        policy = (json.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    func owner(of path: String) -> String {
        var candidate = path
        while true {
            if let owner = policy[candidate] { return owner }
            guard let dot = candidate.lastIndex(of: ".") else { return "platform" }
            candidate = String(candidate[..<dot])
        }
    }

    /// The inventory document with the ITAM-owned fields of `pulled` applied; nil when nothing changes.
    func merge(_ pulled: JSON, into document: JSON) -> JSON? {
        var merged = document
        var changed = false
        for (section, fields) in pulled.objectValue ?? [:] {
            // A blank field in the ITAM system is unknown there, not a value to take over (a CI created by our own
            // push comes back with `serial_number: ""`).
            for (name, value) in fields.objectValue ?? [:] where !value.isNull && value.stringValue?.isEmpty != true {
                let path = "\(section).\(name)"
                guard path != "asset.hostname", path != "asset.ip_address", owner(of: path) == "itam",
                    document[path: path] != value
                else { continue }
                var target = merged[section]?.objectValue ?? [:]
                target[name] = value
                merged = .object((merged.objectValue ?? [:]).merging([section: .object(target)]) { _, new in new })
                changed = true
            }
        }
        // Not `changed ? merged : nil`: JSON takes nil literals, so that would be `.null`, an "enrichment" of nothing.
        guard changed else { return nil }
        return merged
    }
}
