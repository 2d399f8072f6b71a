import JSONCore

/// Turns a CycloneDX 1.6 CBOM into standard-schema records: for every host (the metadata component or a
/// non-crypto component), each protocol asset it depends on becomes a record, enriched with the certificate, key
/// and algorithms reached through `bom-ref`s. Whatever is not imported is named in a notice, never dropped silently.
struct CBOMImporter {
    struct Imported {
        var records: [JSON] = []
        /// Where each record came from, for its validation problems: `components[4] (bom-ref proto-tls)`.
        var locations: [String] = []
        var notices: [String] = []
    }

    private struct Component {
        let index: Int
        let reference: String
        let json: JSON

        var name: String? { json["name"]?.stringValue }
        var type: String { json["type"]?.stringValue ?? "component" }
        var assetType: String? { json[path: "cryptoProperties.assetType"]?.stringValue }
        var isCrypto: Bool { type == "cryptographic-asset" }
        var label: String {
            index < 0 ? "metadata.component (bom-ref \(reference))" : "components[\(index)] (bom-ref \(reference))"
        }

        func property(_ names: String...) -> String? {
            for property in json["properties"]?.arrayValue ?? [] {
                if let name = property["name"]?.stringValue?.lowercased(), names.contains(name) {
                    return property["value"]?.stringValue
                }
            }
            return nil
        }
    }

    /// The components by `bom-ref` and the dependency graph between them.
    private struct Graph {
        var components: [String: Component] = [:]
        var order: [Component] = []
        var edges: [String: [String]] = [:]

        /// Crypto assets reached from `start`, breadth first; the walk stops at another host, whose assets are its
        /// own.
        func reachable(from start: String) -> [Component] {
            var seen: Set<String> = [start]
            var queue = [start]
            var found: [Component] = []
            while !queue.isEmpty {
                let next = queue.removeFirst()
                for target in edges[next] ?? [] where !seen.contains(target) {
                    seen.insert(target)
                    if let component = components[target], component.isCrypto {
                        found.append(component)
                        queue.append(target)
                    }
                }
            }
            return found
        }

        /// What `start` depends on directly.
        func direct(_ start: String) -> [Component] { (edges[start] ?? []).compactMap { components[$0] } }
    }

    func records(from document: JSON, path: String) throws(IngestError) -> Imported {
        guard document["bomFormat"]?.stringValue == "CycloneDX" else {
            throw IngestError(path, "is not a CycloneDX document (no \"bomFormat\": \"CycloneDX\")")
        }
        var imported = Imported()
        let version = document["specVersion"]?.stringValue ?? "?"
        if version != "1.6" {
            imported.notices.append(
                "specVersion \(version): cryptoProperties are defined by CycloneDX 1.6; read as 1.6")
        }
        let graph = try Self.graph(of: document, path: path, notices: &imported.notices)

        var used: Set<String> = []
        var keys: [String: Component] = [:]  // natural key → the protocol component that took it
        var hostCount = 0
        for host in graph.order where !host.isCrypto {
            let protocols = graph.reachable(from: host.reference).filter { $0.assetType == "protocol" }
            guard !protocols.isEmpty else {
                if host.index >= 0 || graph.order.count == 1 {
                    imported.notices.append(
                        "\(host.label): \(host.type) \"\(host.name ?? "?")\" is linked to no protocol; not imported")
                }
                continue
            }
            hostCount += 1
            used.formUnion(protocols.map(\.reference))
            guard let identity = Self.identity(of: host) else {
                imported.notices.append(
                    "\(host.label): \"\(host.name ?? "")\" is not a host name and the component has no ip_address property; its \(protocols.count) protocol(s) are not imported"
                )
                continue
            }
            for protocolAsset in protocols {
                guard
                    let record = record(
                        host: host, identity: identity, protocol: protocolAsset, graph: graph,
                        notices: &imported.notices)
                else { continue }
                if let earlier = keys[record.key] {
                    imported.notices.append(
                        "\(protocolAsset.label): the same host, protocol and port as \(earlier.label) (\(record.key)); give each a port property. Not imported"
                    )
                    continue
                }
                keys[record.key] = protocolAsset
                imported.records.append(record.json)
                imported.locations.append(protocolAsset.label)
                used.formUnion(record.used)
            }
        }
        for component in graph.order where component.isCrypto && !used.contains(component.reference) {
            let kind = component.assetType ?? "cryptographic asset without cryptoProperties.assetType"
            imported.notices.append(
                "\(component.label): \(kind) \"\(component.name ?? "?")\" is not linked to a protocol of a host; not imported"
            )
        }
        if hostCount == 0 {
            imported.notices.append(
                "no host component (metadata.component or a non-crypto component) with a protocol to import")
        }
        return imported
    }

    /// Reads the components and dependencies; a reference to a component that does not exist is a notice.
    private static func graph(of document: JSON, path: String, notices: inout [String]) throws(IngestError) -> Graph {
        var graph = Graph()
        func register(_ json: JSON, index: Int) {
            let reference = json["bom-ref"]?.stringValue ?? "#\(index)"
            let component = Component(index: index, reference: reference, json: json)
            graph.components[reference] = component
            graph.order.append(component)
        }
        if let metadata = document[path: "metadata.component"] { register(metadata, index: -1) }
        for (index, json) in try array(document, "components", path).enumerated() {
            guard json.objectValue != nil else {
                notices.append("components[\(index)]: must be an object, got \(json.typeName); not imported")
                continue
            }
            register(json, index: index)
        }
        for (index, dependency) in try array(document, "dependencies", path).enumerated() {
            guard let reference = dependency["ref"]?.stringValue else {
                notices.append("dependencies[\(index)]: has no \"ref\"; ignored")
                continue
            }
            for target in dependency["dependsOn"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                if graph.components[target] == nil {
                    notices.append(
                        "dependencies[\(index)]: \"\(reference)\" depends on \"\(target)\", which no component has as its bom-ref; ignored"
                    )
                } else {
                    graph.edges[reference, default: []].append(target)
                }
            }
        }
        return graph
    }

    /// `document[key]` as an array: absent is empty, anything else is an error naming it.
    private static func array(_ document: JSON, _ key: String, _ path: String) throws(IngestError) -> [JSON] {
        guard let value = document[key], !value.isNull else { return [] }
        guard let array = value.arrayValue else {
            throw IngestError(path, "\"\(key)\" must be an array, got \(value.typeName)")
        }
        return array
    }

    /// The host's name (a `hostname` or `fqdn` property, else the component's name) and address; nil when it has
    /// neither a usable host name nor an address.
    private static func identity(of host: Component) -> [String: JSON]? {
        var asset: [String: JSON] = [:]
        let name = (host.property("hostname", "fqdn") ?? host.name ?? "").lowercased()
        if RecordValidator.isHostname(name) { asset["hostname"] = .string(name) }
        if let ip = host.property("ip_address", "ip", "cdx:device:ip", "address") { asset["ip_address"] = .string(ip) }
        guard !asset.isEmpty else { return nil }
        if let environment = host.property("environment") { asset["environment"] = .string(environment) }
        if let serial = host.property("serial_number") { asset["serial_number"] = .string(serial) }
        return asset
    }

    private func record(
        host: Component, identity: [String: JSON], protocol asset: Component, graph: Graph, notices: inout [String]
    ) -> (json: JSON, key: String, used: Set<String>)? {
        let properties = asset.json[path: "cryptoProperties.protocolProperties"] ?? [:]
        let type = properties["type"]?.stringValue?.lowercased() ?? ""
        let protocolName: String
        switch type {
        case "tls", "dtls": protocolName = "TLS"
        case "ssh": protocolName = "SSH"
        case "ipsec", "ike", "ikev1", "ikev2": protocolName = "IPSec"
        default:
            notices.append("\(asset.label): protocol type \"\(type)\" is not TLS, SSH or IPsec; not imported")
            return nil
        }
        var used: Set<String> = []
        var crypto: [String: JSON] = ["protocol": .string(protocolName)]
        if let version = properties["version"]?.stringValue { crypto["protocol_version"] = .string(version) }
        let suites = properties["cipherSuites"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        if !suites.isEmpty {
            crypto["cipher_suites"] = JSON(suites)
            // The suite a record names is its weakest: that is what a target system should show.
            crypto["cipher_suite"] = .string(suites.first { CryptoWeaknesses.weakCipher($0) != nil } ?? suites[0])
        }
        let port = (asset.property("port", "cdx:network:port") ?? host.property("port")).flatMap(Int.init)
        if let port { crypto["port"] = JSON(port) }

        var document: [String: JSON] = ["asset": .object(identity), "source": "cbom"]
        // The protocol's own certificate; else one the host names directly, for the protocols that use X.509 (an
        // SSH host key is no certificate, and another protocol's certificate is not this one's).
        let certificate =
            graph.reachable(from: asset.reference).first { $0.assetType == "certificate" }
            ?? (protocolName == "SSH" ? nil : graph.direct(host.reference).first { $0.assetType == "certificate" })
        if let certificate {
            used.insert(certificate.reference)
            var out: [String: JSON] = [:]
            if let keySize = describe(certificate, graph: graph, into: &out, used: &used) {
                crypto["key_size"] = JSON(keySize)
            }
            document["certificate"] = .object(out)
        }
        // Algorithms the cipher suites name are covered by the suite names.
        for suite in properties["cipherSuites"]?.arrayValue ?? [] {
            used.formUnion(suite["algorithms"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        document["crypto_implementation"] = .object(crypto)
        let host = identity["hostname"]?.stringValue ?? identity["ip_address"]?.stringValue ?? "?"
        return (.object(document), "\(host)|\(protocolName)|\(port.map(String.init) ?? "-")", used)
    }

    /// Fills the certificate's fields; its public key's size, when the CBOM gives one.
    private func describe(
        _ certificate: Component, graph: Graph, into out: inout [String: JSON], used: inout Set<String>
    ) -> Int? {
        let fields = certificate.json[path: "cryptoProperties.certificateProperties"] ?? [:]
        if let subject = fields["subjectName"]?.stringValue { out["common_name"] = .string(Self.commonName(subject)) }
        if let issuer = fields["issuerName"]?.stringValue { out["issuer"] = .string(issuer) }
        if let expiry = fields["notValidAfter"]?.stringValue { out["expiration_date"] = .string(expiry) }
        if let reference = fields["signatureAlgorithmRef"]?.stringValue, let algorithm = graph.components[reference] {
            used.insert(reference)
            out["signature_algorithm"] = JSON(algorithm.name)
        }
        guard let reference = fields["subjectPublicKeyRef"]?.stringValue, let key = graph.components[reference] else {
            return nil
        }
        used.insert(reference)
        let material = key.json[path: "cryptoProperties.relatedCryptoMaterialProperties"]
        let algorithmReference = material?["algorithmRef"]?.stringValue
        let algorithm =
            algorithmReference.flatMap { graph.components[$0] } ?? (key.assetType == "algorithm" ? key : nil)
        if let algorithmReference { used.insert(algorithmReference) }
        let family = (algorithm?.name ?? key.name).map(Self.algorithmFamily)
        if let family { out["key_algorithm"] = .string(family) }
        if let size = material?["size"]?.intValue { return size }
        // A post-quantum parameter set (ML-DSA-65) names a security category, not a key size in bits.
        guard let family, !Self.postQuantumFamilies.contains(family.uppercased()) else { return nil }
        return algorithm?.json[path: "cryptoProperties.algorithmProperties.parameterSetIdentifier"]?.stringValue
            .flatMap(Int.init)
    }

    static let postQuantumFamilies: Set<String> = ["ML-KEM", "ML-DSA", "SLH-DSA", "FN-DSA", "HQC"]

    /// `RSA-2048` → `RSA`, `ECDSA-P256` → `ECDSA`, but `ML-DSA-65` → `ML-DSA`: the algorithm without its parameters.
    static func algorithmFamily(_ name: String) -> String {
        let parts = name.split(separator: "-")
        if parts.count >= 2, postQuantumFamilies.contains("\(parts[0])-\(parts[1])".uppercased()) {
            return "\(parts[0])-\(parts[1])"
        }
        return String(parts.first ?? Substring(name))
    }

    /// `CN=web01.example.com,O=Example` → `web01.example.com`; a subject without CN is kept whole.
    static func commonName(_ subject: String) -> String {
        for part in subject.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.uppercased().hasPrefix("CN=") { return String(trimmed.dropFirst(3)) }
        }
        return subject
    }
}
