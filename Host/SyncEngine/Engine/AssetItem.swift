import Foundation
import Inventory
import JSONCore
import PluginABI

/// How a mapping of one item per asset makes an asset's records one item; the push and the mapping preview share
/// it. The riskiest record that maps stands for the asset, named as its fullest-named record names it, and the
/// crypto fields it lacks are sent empty.
public struct AssetItem {
    /// The record the item is made of, as an index into the records given; nil when the mapping refused them all.
    public let chosen: Int?
    public let fields: [String: JSON]
    /// The records the item stands for, riskiest first: the chosen one and those ranked behind it.
    public let members: [Int]
    /// The records the mapping refused, each with why; the next riskiest stood for the asset instead.
    public let refused: [(index: Int, problems: MappingProblems)]

    public init(of documents: [JSON], mapping: FieldMapping, now: Date) {
        let several = documents.count > 1
        var order = Array(documents.indices)
        if several { order.sort { Self.ranksBefore(documents[$0], documents[$1]) } }
        // The item names the asset as its fullest-named record does (the FQDN, not a short name the riskiest
        // endpoint was found under), whichever record is riskiest; what its own record lacks of the host's identity
        // (an address, a serial number) comes from the host's other records.
        let fullest = several ? documents.indices.max { Self.namesLess(documents[$0], documents[$1]) } : nil
        var refused: [(index: Int, problems: MappingProblems)] = []
        for (position, index) in order.enumerated() {
            var document = documents[index]
            if let fullest, var object = document.objectValue {
                var asset = object["asset"]?.objectValue ?? [:]
                asset["hostname"] = documents[fullest][path: "asset.hostname"]
                for other in [fullest] + order where other != index {
                    for (name, value) in documents[other]["asset"]?.objectValue ?? [:] where asset[name] == nil {
                        asset[name] = value
                    }
                }
                object["asset"] = .object(asset)
                document = .object(object)
            }
            do {
                var fields = try mapping.apply(to: document, now: now)
                Self.clearing(&fields, notIn: mapping)
                (chosen, self.fields, members, self.refused) = (index, fields, Array(order[position...]), refused)
                return
            } catch {
                refused.append((index, error))
            }
        }
        (chosen, fields, members, self.refused) = (nil, [:], [], refused)
    }

    /// The records of `documents` grouped by asset, each group in the order its records come and the groups in the
    /// order their first records come (indices into `documents`).
    public static func groups(of documents: [JSON]) -> [[Int]] {
        let naming = AssetNaming(known: documents)
        var groups: [[Int]] = []
        var position: [String: Int] = [:]
        for (index, document) in documents.enumerated() {
            guard let asset = naming.asset(of: document) else {
                groups.append([index])
                continue
            }
            if let at = position[asset] {
                groups[at].append(index)
            } else {
                position[asset] = groups.count
                groups.append([index])
            }
        }
        return groups
    }

    /// Whether `first` stands for the asset before `second`: the riskier, then, between records as risky, by their
    /// endpoint, so the push (its records in id order) and the preview (in the file's) choose the same one.
    static func ranksBefore(_ first: JSON, _ second: JSON) -> Bool {
        let (one, other) = (rank(first), rank(second))
        guard one == other else { return one > other }
        return endpoint(first) < endpoint(second)
    }

    /// A record's natural key, in parts: no two records of a tenant share it.
    private static func endpoint(_ document: JSON) -> (String, Int, String, String) {
        (
            document[path: "crypto_implementation.protocol"]?.stringValue ?? "",
            document[path: "crypto_implementation.port"]?.intValue ?? 0,
            document[path: "asset.hostname"]?.stringValue ?? "", document[path: "asset.ip_address"]?.stringValue ?? ""
        )
    }

    /// How risky a record is, to choose the one an asset's item is made of: the highest risk score, then the lowest
    /// key size.
    static func rank(_ document: JSON) -> (Double, Int) {
        (
            document[path: "crypto_implementation.risk_score"]?.doubleValue ?? -1,
            -(document[path: "crypto_implementation.key_size"]?.intValue ?? Int.max)
        )
    }

    /// Whether `first`'s host name is less full than `second`'s: shorter, or as long and later in order (so the
    /// same one is the fullest whatever order the records come in).
    private static func namesLess(_ first: JSON, _ second: JSON) -> Bool {
        let (one, other) = (
            first[path: "asset.hostname"]?.stringValue ?? "", second[path: "asset.hostname"]?.stringValue ?? ""
        )
        return one.count != other.count ? one.count < other.count : one > other
    }

    /// The item stands for whichever record is riskiest now: a crypto or certificate field that record lacks is
    /// sent empty, clearing what another endpoint left there (an expiry of a certificate the SSH endpoint never
    /// had). Identity fields and extensions (an owner a CMDB keeps) are never cleared: a record that lacks a serial
    /// number says nothing about it.
    static func clearing(_ fields: inout [String: JSON], notIn mapping: FieldMapping) {
        for entry in mapping.entries
        where fields[entry.targetField] == nil
            && (entry.sourceField.hasPrefix("crypto_implementation.") || entry.sourceField.hasPrefix("certificate."))
        {
            fields[entry.targetField] = ""
        }
    }
}

/// Which asset a record is: its host name, or the one FQDN among the known records that its short name begins, or
/// its address when a scanner wrote no name (or wrote the address where the name goes); nil for neither.
struct AssetNaming {
    private var fqdns: [String: Set<String>] = [:]

    init(known documents: some Sequence<JSON>) {
        for document in documents {
            if let host = Self.hostname(document), host.contains("."), let short = HostNames.shortName(host) {
                fqdns[short, default: []].insert(host)
            }
        }
    }

    func asset(of document: JSON) -> String? {
        let host = Self.hostname(document)
        if let host, !HostNames.isAddress(host) {
            // A short name stands for the FQDN it begins when there is exactly one; else it is a host of its own.
            if let only = fqdns[host], only.count == 1 { return "host:" + only.first! }
            return "host:" + host
        }
        return (host ?? document[path: "asset.ip_address"]?.stringValue).map { "ip:" + $0 }
    }

    static func hostname(_ document: JSON) -> String? { document[path: "asset.hostname"]?.stringValue }
}
