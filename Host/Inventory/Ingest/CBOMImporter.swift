import Foundation
import JSONCore

/// Turns a CycloneDX 1.6 CBOM into standard-schema records: for every host (the metadata component or a
/// non-crypto component), each protocol asset it depends on becomes a record, enriched with the certificate, key
/// and algorithms reached through `bom-ref`s. Whatever is not imported is named in a notice, never dropped silently.
struct CBOMImporter {
    struct Imported {
        var records: [JSON] = []
        /// Where each record came from, for its validation problems: `components[4] (bom-ref proto-tls)`, and
        /// the components its host, certificate and key fields came from.
        var places: [RecordPlace] = []
        var notices: [String] = []
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
        let graph = try CBOMGraph(document, path: path, notices: &imported.notices)
        if let services = document["services"]?.arrayValue, !services.isEmpty {
            imported.notices.append(
                "services: \(services.count) service(s) not imported; an endpoint is read from a protocol component a host depends on"
            )
        }
        // When the CBOM was made is when its endpoints were seen: an older CBOM ingested after a newer scan does not
        // roll the records back.
        var madeAt = document[path: "metadata.timestamp"]
        if let stamp = madeAt {
            // Checked here, once: as each record's discovery time it would refuse every record in turn.
            if let text = stamp.stringValue, let date = ISODates.parse(text) {
                if ISODates.dateTime(date) > RecordValidator.latestDiscovery(at: Date()) {
                    imported.notices.append(
                        "metadata.timestamp \(text) is in the future; the records are imported without a discovery time"
                    )
                    madeAt = nil
                }
            } else {
                imported.notices.append(
                    "metadata.timestamp \(stamp.serialized()) is not an ISO 8601 date; the records are imported without a discovery time"
                )
                madeAt = nil
            }
        }
        let parts = graph.parts

        var used: Set<String> = []
        var keys: [String: CBOMComponent] = [:]  // natural key → the protocol component that took it
        var hostCount = 0
        var importedProtocols: [CBOMComponent] = []
        let hosts = graph.order.filter { !$0.isCrypto }
        var reached: [String: [CBOMComponent]] = [:]
        for host in hosts {
            reached[host.reference] = graph.reachable(from: host.reference).filter { $0.assetType == "protocol" }
        }
        // A CBOM of one host (the metadata component) often lists its protocols without a dependency on them: a
        // protocol no component links to is the metadata component's, the subject of the BOM.
        let linked = Set(reached.values.joined().map(\.reference))
        let unlinked = graph.order.filter { $0.assetType == "protocol" && !linked.contains($0.reference) }
        for host in hosts {
            let protocols = (reached[host.reference] ?? []) + (host.isMetadata ? unlinked : [])
            // A part (an application on a device) brings its protocols to its host, named as the host is.
            if parts.contains(host.reference), !protocols.isEmpty { continue }
            guard !protocols.isEmpty else {
                if !host.isMetadata || graph.order.count == 1 {
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
                importedProtocols.append(protocolAsset)
                var json = record.json
                if let madeAt, json["discovered_at"] == nil, case .object(var object) = json {
                    object["discovered_at"] = madeAt
                    json = .object(object)
                }
                imported.records.append(json)
                imported.places.append(RecordPlace(protocolAsset.label, origins: record.origins))
                used.formUnion(record.used)
            }
        }
        // Which imported protocol reaches each crypto asset, worked out once: asking per asset walked every protocol
        // for each (a CBOM of 10,000 hosts with their chains took a minute).
        var owners: [String: CBOMComponent] = [:]
        for protocolAsset in importedProtocols {
            for reached in graph.reachable(from: protocolAsset.reference) where owners[reached.reference] == nil {
                owners[reached.reference] = protocolAsset
            }
        }
        for component in graph.order where component.isCrypto && !used.contains(component.reference) {
            let kind = component.assetType ?? "cryptographic asset without cryptoProperties.assetType"
            let named = "\(component.label): \(kind) \"\(component.name ?? "?")\""
            guard let type = component.assetType, Self.assetTypes.contains(type) else {
                imported.notices.append("\(named): the standard schema has no place for this asset type; not imported")
                continue
            }
            // A chain's issuing certificates, a second key: linked, but a record keeps one certificate and its key.
            if let owner = owners[component.reference] {
                imported.notices.append(
                    "\(named) is linked to \(owner.label), whose record keeps only the endpoint's own certificate and "
                        + "that certificate's key and algorithms; not imported")
            } else {
                imported.notices.append("\(named) is not linked to a protocol of a host; not imported")
            }
        }
        if hostCount == 0 {
            imported.notices.append(
                "no host component (metadata.component or a non-crypto component) with a protocol to import")
        }
        return imported
    }

    /// The host's name (a `hostname` or `fqdn` property, else the component's name) and address; nil when it has
    /// neither a usable host name nor an address.
    private static func identity(of host: CBOMComponent) -> [String: JSON]? {
        var asset: [String: JSON] = [:]
        let name = (host.property("hostname", "fqdn") ?? host.name ?? "").lowercased()
        if RecordValidator.isHostname(name) { asset["hostname"] = .string(name) }
        if let ip = host.property("ip_address", "ip", "cdx:device:ip", "address") { asset["ip_address"] = .string(ip) }
        guard !asset.isEmpty else { return nil }
        if let environment = host.property("environment") { asset["environment"] = .string(environment) }
        if let serial = host.property("serial_number") { asset["serial_number"] = .string(serial) }
        if let mac = host.property("mac_address", "mac") { asset["mac_address"] = .string(mac) }
        return asset
    }

    private func record(
        host: CBOMComponent, identity: [String: JSON], protocol asset: CBOMComponent, graph: CBOMGraph,
        notices: inout [String]
    ) -> (json: JSON, key: String, used: Set<String>, origins: [String: String])? {
        let properties = asset.json[path: "cryptoProperties.protocolProperties"] ?? [:]
        let type = properties["type"]?.stringValue?.lowercased() ?? ""
        let protocolName: String
        switch type {
        case "tls": protocolName = "TLS"
        case "ssh": protocolName = "SSH"
        case "ipsec", "ike", "ikev1", "ikev2": protocolName = "IPSec"
        case "dtls":  // refused as an ingest refuses it
            notices.append(
                "\(asset.label): protocol type \"dtls\" is not imported: its endpoint would take the key of a TLS one "
                    + "on the same host and port")
            return nil
        default:
            notices.append("\(asset.label): protocol type \"\(type)\" is not TLS, SSH or IPsec; not imported")
            return nil
        }
        var crypto: [String: JSON] = ["protocol": .string(protocolName)]
        // The type `ikev2` names a version a CBOM may not repeat in `version`.
        if let version = properties["version"]?.stringValue ?? RecordValidator.ikeVersion(named: type) {
            crypto["protocol_version"] = .string(version)
        }
        var used: Set<String> = []
        var suites: [String] = []
        for (index, suite) in (properties["cipherSuites"]?.arrayValue ?? []).enumerated() {
            if let name = suite["name"]?.stringValue {
                suites.append(name)
            } else {
                let identifiers = suite["identifiers"]?.arrayValue?.compactMap(\.stringValue) ?? []
                notices.append(
                    "\(asset.label): cipherSuites[\(index)] has no name"
                        + (identifiers.isEmpty ? "" : " (identifiers \(identifiers.joined(separator: ", ")))")
                        + "; give it the suite's name. Not imported")
            }
        }
        // IKEv2's negotiated transforms are what an IPsec endpoint's cipher suite is made of.
        suites += Self.ikev2Transforms(properties["ikev2TransformTypes"], graph: graph, used: &used)
        if !suites.isEmpty {
            crypto["cipher_suites"] = JSON(suites)
            // The suite a record names is its weakest: that is what a target system should show.
            crypto["cipher_suite"] = .string(suites.first { CryptoWeaknesses.weakCipher($0) != nil } ?? suites[0])
        }
        // A port that is not a number goes to validation as written, which rejects the record naming it.
        let own = asset.properties("port", "cdx:network:port")
        let ports = own.isEmpty ? host.properties("port") : own
        if Set(ports).count > 1 {
            notices.append(
                "\(asset.label): port properties disagree (\(ports.joined(separator: ", "))); \(ports[0]) is used")
        }
        let port = ports.first
        // Fields not from the protocol component are named by where they came from when validation refuses them.
        var origins = ["asset": host.label]
        if own.isEmpty, port != nil { origins["crypto_implementation.port"] = "port property of \(host.label)" }
        if let port { crypto["port"] = Int(port).map { JSON($0) } ?? .string(port) }

        var document: [String: JSON] = ["asset": .object(identity), "source": "cbom"]
        // The protocol's own certificate; else one the host names directly, for the protocols that use X.509 (an
        // SSH host key is no certificate, and another protocol's certificate is not this one's).
        let certificate =
            Self.leaf(of: graph.reachable(from: asset.reference).filter { $0.assetType == "certificate" })
            ?? (protocolName == "SSH" ? nil : graph.direct(host.reference).first { $0.assetType == "certificate" })
        if let certificate {
            used.insert(certificate.reference)
            var out: [String: JSON] = [:]
            if let (keySize, source) = describe(
                certificate, graph: graph, into: &out, used: &used, origins: &origins, notices: &notices)
            {
                crypto["key_size"] = JSON(keySize)
                origins["crypto_implementation.key_size"] = source
            }
            document["certificate"] = .object(out)
        } else if protocolName == "SSH",
            let hostKey = graph.reachable(from: asset.reference).first(where: {
                $0.assetType == "related-crypto-material"
            })
        {
            // An SSH server's host key: its size is the endpoint's key size.
            used.insert(hostKey.reference)
            let material = hostKey.json[path: "cryptoProperties.relatedCryptoMaterialProperties"]
            if let reference = material?["algorithmRef"]?.stringValue { used.insert(reference) }
            if let size = material?["size"]?.intValue {
                crypto["key_size"] = JSON(size)
                origins["crypto_implementation.key_size"] = "size of \(hostKey.label)"
            }
        }
        // Algorithms the cipher suites name are covered by the suite names.
        for (index, suite) in (properties["cipherSuites"]?.arrayValue ?? []).enumerated() {
            for reference in suite["algorithms"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                used.insert(reference)
                if graph.components[reference] == nil {
                    notices.append(
                        "\(asset.label): cipherSuites[\(index)] names algorithm \"\(reference)\", which no component has as its bom-ref; ignored"
                    )
                }
            }
        }
        document["crypto_implementation"] = .object(crypto)
        let host = identity["hostname"]?.stringValue ?? identity["ip_address"]?.stringValue ?? "?"
        return (.object(document), "\(host)|\(protocolName)|\(port ?? "-")", used, origins)
    }

    /// The endpoint's own certificate among a chain: the one that issued none of the others, whatever order the
    /// CBOM lists them in (a CA first in `cryptoRefArray`); the first when that does not decide.
    private static func leaf(of certificates: [CBOMComponent]) -> CBOMComponent? {
        func field(_ certificate: CBOMComponent, _ name: String) -> String? {
            certificate.json[path: "cryptoProperties.certificateProperties.\(name)"]?.stringValue
        }
        let issuers = Set(certificates.compactMap { field($0, "issuerName") })
        return certificates.first { field($0, "subjectName").map { !issuers.contains($0) } ?? false }
            ?? certificates.first
    }

    /// The algorithms of `ikev2TransformTypes` (encryption, PRF, integrity, key exchange, authentication), by the
    /// names of the components they refer to or as written; key exchange may give IANA group numbers.
    private static func ikev2Transforms(_ types: JSON?, graph: CBOMGraph, used: inout Set<String>) -> [String] {
        guard let types = types?.objectValue else { return [] }
        var names: [String] = []
        for kind in ["encr", "prf", "integ", "ke", "auth"] {
            for value in types[kind]?.arrayValue ?? [] {
                if let group = value.intValue {
                    names.append(ikeGroups[group] ?? "ike-group-\(group)")
                } else if let text = value.stringValue {
                    if let component = graph.components[text] {
                        used.insert(text)
                        names.append(component.name ?? text)
                    } else {
                        names.append(text)
                    }
                }
            }
        }
        return names
    }

    /// IANA's IKEv2 key exchange method numbers for the finite-field groups below 2048 bits, and common others.
    private static let ikeGroups = [
        1: "modp768", 2: "modp1024", 5: "modp1536", 14: "modp2048", 15: "modp3072", 16: "modp4096", 19: "ecp256",
        20: "ecp384", 21: "ecp521", 31: "curve25519",
    ]

    /// Fills the certificate's fields and where each came from; its public key's size, when the CBOM gives one,
    /// and where.
    private func describe(
        _ certificate: CBOMComponent, graph: CBOMGraph, into out: inout [String: JSON], used: inout Set<String>,
        origins: inout [String: String], notices: inout [String]
    ) -> (Int, String)? {
        let fields = certificate.json[path: "cryptoProperties.certificateProperties"] ?? [:]
        origins["certificate"] = certificate.label
        for (field, property) in [
            ("common_name", "subjectName"), ("issuer", "issuerName"), ("expiration_date", "notValidAfter"),
        ] {
            guard let value = fields[property]?.stringValue else { continue }
            out[field] = .string(field == "common_name" ? Self.commonName(value) : value)
            origins["certificate.\(field)"] = "\(property) of \(certificate.label)"
        }
        for field in ["signatureAlgorithmRef", "subjectPublicKeyRef"] {
            if let reference = fields[field]?.stringValue, graph.components[reference] == nil {
                notices.append(
                    "\(certificate.label): \(field) names \"\(reference)\", which no component has as its bom-ref; ignored"
                )
            }
        }
        if let reference = fields["signatureAlgorithmRef"]?.stringValue, let algorithm = graph.components[reference] {
            used.insert(reference)
            out["signature_algorithm"] = JSON(algorithm.name)
            origins["certificate.signature_algorithm"] = algorithm.label
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
        if let family {
            out["key_algorithm"] = .string(family)
            origins["certificate.key_algorithm"] = (algorithm ?? key).label
        }
        if let size = material?["size"]?.intValue { return (size, "size of \(key.label)") }
        // A post-quantum parameter set (ML-DSA-65) names a security category, not a key size in bits.
        guard let family, !Self.postQuantumFamilies.contains(family.uppercased()), let algorithm,
            let size = algorithm.json[path: "cryptoProperties.algorithmProperties.parameterSetIdentifier"]?
                .stringValue.flatMap(Int.init)
        else { return nil }
        return (size, "parameterSetIdentifier of \(algorithm.label)")
    }

    /// CycloneDX 1.6's asset types a record has a place for.
    static let assetTypes: Set = ["protocol", "certificate", "algorithm", "related-crypto-material"]

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
