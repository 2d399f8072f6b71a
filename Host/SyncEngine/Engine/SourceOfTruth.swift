import Inventory
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

    /// The policy `entries` make when laid over the default (entries name only what differs from it); throws on a
    /// path that is no field or section of the standard schema, or an owner other than `itam` or `platform`.
    static func policy(laying entries: JSON) throws(IntegrationSetupError) -> JSON {
        guard let object = entries.objectValue else {
            throw IntegrationSetupError(
                "source of truth: expected a JSON object mapping fields or sections to \"itam\" or \"platform\"")
        }
        var policy = Integration.defaultSourceOfTruth.objectValue ?? [:]
        for (path, owner) in object.sorted(by: { $0.key < $1.key }) {
            guard ownable.contains(path) || path.hasPrefix("extensions.") else {
                throw IntegrationSetupError(
                    "source of truth: \"\(path)\" is no field or section of the standard schema "
                        + "(e.g. asset.environment, crypto_implementation)")
            }
            guard owner == "itam" || owner == "platform" else {
                throw IntegrationSetupError(
                    "source of truth: \"\(path)\" must belong to \"itam\" or \"platform\", not \(owner.serialized())")
            }
            if owner == "itam", correlationFields.contains(path) {
                throw IntegrationSetupError(
                    "source of truth: \"\(path)\" correlates records, so a pull never takes it over from the ITAM system"
                )
            }
            policy[path] = owner
        }
        return .object(policy)
    }

    /// Never taken over: how records are correlated, and what makes a record's natural key (a protocol or port
    /// taken from the ITAM system would make another endpoint of it).
    static let correlationFields: Set = [
        "asset.hostname", "asset.ip_address", "crypto_implementation.protocol", "crypto_implementation.port",
    ]

    /// The fields and sections a policy may name: pulled context is merged a section's field at a time.
    private static let ownable: Set<String> = Set(
        StandardSchema.fields.keys.flatMap { path in
            [path, String(path.prefix { $0 != "." })]
        } + ["extensions"])

    func owner(of path: String) -> String {
        var candidate = path
        while true {
            if let owner = policy[candidate] { return owner }
            guard let dot = candidate.lastIndex(of: ".") else { return "platform" }
            candidate = String(candidate[..<dot])
        }
    }

    /// The inventory document with the ITAM-owned fields of `pulled` applied; nil when nothing changes. Fields are
    /// taken one at a time, however deep: a pulled `compliance_status.pci` leaves the record's other frameworks be.
    func merge(_ pulled: JSON, into document: JSON) -> JSON? {
        var merged = document
        var changed = false
        func take(_ value: JSON, at path: [String]) {
            if case .object(let members) = value {
                for (name, member) in members { take(member, at: path + [name]) }
                return
            }
            // A blank field in the ITAM system is unknown there, not a value to take over (a CI created by our own
            // push comes back with `serial_number: ""`).
            guard path.count > 1, !value.isNull, value.stringValue?.isEmpty != true else { return }
            let dotted = path.joined(separator: ".")
            guard !Self.correlationFields.contains(dotted), owner(of: dotted) == "itam",
                document[keys: path[...]] != value
            else { return }
            merged = merged.setting(keys: path[...], to: value)
            changed = true
        }
        take(pulled, at: [])
        // Not `changed ? merged : nil`: JSON takes nil literals, so that would be `.null`, an "enrichment" of nothing.
        guard changed else { return nil }
        return merged
    }
}
