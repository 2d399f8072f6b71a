import JSONCore

/// Turns a CycloneDX 1.6 CBOM into standard-schema records: for every host (the metadata component or a
/// non-crypto component), each protocol asset it depends on becomes a record, enriched with the certificate, key
/// and algorithms reached through `bom-ref`s. Whatever is not imported is named in a notice, never dropped silently.
struct CBOMImporter {
    struct Imported {
        var records: [JSON] = []
        var notices: [String] = []
    }

    private struct Component {
        let index: Int
        let reference: String
        let json: JSON

        var name: String? { json["name"]?.stringValue }
        var assetType: String? { json[path: "cryptoProperties.assetType"]?.stringValue }
        var isCrypto: Bool { json["type"]?.stringValue == "cryptographic-asset" }
        var label: String { "components[\(index)] (bom-ref \(reference))" }

        func property(_ names: String...) -> String? {
            for property in json["properties"]?.arrayValue ?? [] {
                if let name = property["name"]?.stringValue?.lowercased(), names.contains(name) {
                    return property["value"]?.stringValue
                }
            }
            return nil
        }
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
        var components: [String: Component] = [:]
        var order: [Component] = []
        func register(_ json: JSON, index: Int) {
            let reference = json["bom-ref"]?.stringValue ?? "#\(index)"
            let component = Component(index: index, reference: reference, json: json)
            components[reference] = component
            order.append(component)
        }
        if let metadata = document[path: "metadata.component"] { register(metadata, index: -1) }
        for (index, json) in (document["components"]?.arrayValue ?? []).enumerated() { register(json, index: index) }

        var edges: [String: [String]] = [:]
        for dependency in document["dependencies"]?.arrayValue ?? [] {
            guard let reference = dependency["ref"]?.stringValue else { continue }
            edges[reference, default: []] += dependency["dependsOn"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        func reachable(from start: String) -> [Component] {
            var seen: Set<String> = [start]
            var queue = [start]
            var found: [Component] = []
            while !queue.isEmpty {
                let next = queue.removeFirst()
                for target in edges[next] ?? [] where !seen.contains(target) {
                    seen.insert(target)
                    if let component = components[target] {
                        found.append(component)
                        // Do not walk through another host: its assets are its own.
                        if component.isCrypto { queue.append(target) }
                    }
                }
            }
            return found
        }

        var used: Set<String> = []
        let hosts = order.filter { !$0.isCrypto }
        for host in hosts {
            let assets = reachable(from: host.reference)
            for protocolAsset in assets where protocolAsset.assetType == "protocol" {
                guard
                    let record = record(
                        host: host, protocol: protocolAsset, reachable: reachable, components: components,
                        notices: &imported.notices)
                else { continue }
                imported.records.append(record.json)
                used.formUnion(record.used)
                used.insert(protocolAsset.reference)
            }
        }
        for component in order where component.isCrypto && !used.contains(component.reference) {
            let kind = component.assetType ?? "cryptographic asset without cryptoProperties.assetType"
            imported.notices.append(
                "\(component.label): \(kind) \"\(component.name ?? "?")\" is not linked to a protocol of a host; not imported"
            )
        }
        if hosts.isEmpty {
            imported.notices.append(
                "no host component (metadata.component or a non-crypto component) to attach assets to")
        }
        return imported
    }

    private func record(
        host: Component, protocol asset: Component, reachable: (String) -> [Component], components: [String: Component],
        notices: inout [String]
    ) -> (json: JSON, used: Set<String>)? {
        let properties = asset.json[path: "cryptoProperties.protocolProperties"] ?? [:]
        let type = properties["type"]?.stringValue?.lowercased() ?? ""
        let protocolName: String
        switch type {
        case "tls", "dtls": protocolName = "TLS"
        case "ssh": protocolName = "SSH"
        case "ipsec", "ike": protocolName = "IPSec"
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
        if let port = (asset.property("port", "cdx:network:port") ?? host.property("port")).flatMap(Int.init) {
            crypto["port"] = JSON(port)
        }
        var asset_: [String: JSON] = [:]
        let hostName = host.name?.lowercased() ?? ""
        if RecordValidator.isHostname(hostName) { asset_["hostname"] = .string(hostName) }
        if let ip = host.property("ip_address", "ip", "cdx:device:ip", "address") { asset_["ip_address"] = .string(ip) }
        if let environment = host.property("environment") { asset_["environment"] = .string(environment) }
        if let serial = host.property("serial_number") { asset_["serial_number"] = .string(serial) }

        var document: [String: JSON] = ["asset": .object(asset_), "source": "cbom"]
        let linked = reachable(asset.reference) + reachable(host.reference)
        if let certificate = linked.first(where: { $0.assetType == "certificate" }) {
            used.insert(certificate.reference)
            let fields = certificate.json[path: "cryptoProperties.certificateProperties"] ?? [:]
            var out: [String: JSON] = [:]
            if let subject = fields["subjectName"]?.stringValue {
                out["common_name"] = .string(Self.commonName(subject))
            }
            if let issuer = fields["issuerName"]?.stringValue { out["issuer"] = .string(issuer) }
            if let expiry = fields["notValidAfter"]?.stringValue { out["expiration_date"] = .string(expiry) }
            if let reference = fields["signatureAlgorithmRef"]?.stringValue, let algorithm = components[reference] {
                used.insert(reference)
                out["signature_algorithm"] = JSON(algorithm.name)
            }
            if let reference = fields["subjectPublicKeyRef"]?.stringValue, let key = components[reference] {
                used.insert(reference)
                let material = key.json[path: "cryptoProperties.relatedCryptoMaterialProperties"]
                let algorithmReference = material?["algorithmRef"]?.stringValue
                let algorithm =
                    algorithmReference.flatMap { components[$0] } ?? (key.assetType == "algorithm" ? key : nil)
                if let algorithmReference { used.insert(algorithmReference) }
                let size =
                    material?["size"]?.intValue
                    ?? algorithm?.json[path: "cryptoProperties.algorithmProperties.parameterSetIdentifier"]?.stringValue
                    .flatMap(Int.init)
                if let size { crypto["key_size"] = JSON(size) }
                if let name = algorithm?.name ?? key.name {
                    out["key_algorithm"] = .string(String(name.split(separator: "-").first ?? Substring(name)))
                }
            }
            document["certificate"] = .object(out)
        }
        // Algorithms the cipher suites name are covered by the suite names.
        for suite in properties["cipherSuites"]?.arrayValue ?? [] {
            used.formUnion(suite["algorithms"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        document["crypto_implementation"] = .object(crypto)
        return (.object(document), used)
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
