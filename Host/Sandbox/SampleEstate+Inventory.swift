import Foundation
import JSONCore

/// The platform's view of the estate, as the demo ingests it: scanner records (NDJSON) for most hosts and a
/// CycloneDX 1.6 CBOM for the rest.
extension SampleEstate {
    /// One standard-schema record per host found by the network scanner. Scanners see the FQDN and the IP; the
    /// serial number and most identity fields come from the ITAM systems on pull.
    public var scannerRecords: [JSON] {
        hosts.filter { !$0.fromCBOM }.map { host in
            var crypto: [String: JSON] = [
                "protocol": .string(host.endpoint.protocolName), "protocol_version": .string(host.endpoint.version),
                "cipher_suites": JSON(host.endpoint.cipherSuites), "cipher_suite": .string(weakestSuite(host)),
                "port": JSON(host.endpoint.port), "key_size": JSON(host.endpoint.keySize),
                "risk_score": JSON(riskScore(host)),
                "compliance_status": ["pci_dss": .string(riskScore(host) >= 6 ? "non_compliant" : "compliant")],
            ]
            if host.endpoint.protocolName == "SSH" { crypto["compliance_status"] = [:] }
            var document: [String: JSON] = [
                "asset": [
                    "hostname": .string(host.fqdn), "ip_address": .string(host.ipAddress),
                    "environment": .string(host.environment),
                ],
                "crypto_implementation": .object(crypto),
                "discovered_at": .string(ISO8601DateFormatter().string(from: generatedAt)),
                "source": .string("scanner-\(host.site == 0 ? "fra" : "chi")-1"),
            ]
            if let certificate = host.endpoint.certificate {
                document["certificate"] = [
                    "common_name": .string(certificate.commonName), "issuer": .string(certificate.issuer),
                    "expiration_date": .string(Self.day(certificate.notAfter)),
                    "key_algorithm": .string(certificate.keyAlgorithm),
                    "signature_algorithm": .string(certificate.signatureAlgorithm),
                ]
            }
            return .object(document)
        }
    }

    /// The CBOM for the hosts a software bill-of-materials tool covered: one device component per host, its
    /// protocol, certificate, public key and algorithms linked through `dependencies`.
    public var cbom: JSON {
        var components: [JSON] = []
        var dependencies: [JSON] = []
        for host in hosts where host.fromCBOM {
            let hostReference = "host-\(host.name)"
            let protocolReference = "proto-\(host.name)"
            components.append([
                "type": "device", "bom-ref": .string(hostReference), "name": .string(host.fqdn),
                "properties": [
                    ["name": "ip_address", "value": .string(host.ipAddress)],
                    ["name": "environment", "value": .string(host.environment)],
                ],
            ])
            components.append([
                "type": "cryptographic-asset", "bom-ref": .string(protocolReference),
                "name": .string("\(host.endpoint.protocolName)v\(host.endpoint.version)"),
                "cryptoProperties": [
                    "assetType": "protocol",
                    "protocolProperties": [
                        "type": .string(host.endpoint.protocolName.lowercased()),
                        "version": .string(host.endpoint.version),
                        "cipherSuites": .array(host.endpoint.cipherSuites.map { ["name": .string($0)] }),
                    ],
                ],
                "properties": [["name": "port", "value": .string(String(host.endpoint.port))]],
            ])
            var protocolDependencies: [JSON] = []
            if let certificate = host.endpoint.certificate {
                let certificateReference = "cert-\(host.name)"
                let keyReference = "key-\(host.name)"
                let algorithmReference = "algo-rsa-\(host.endpoint.keySize)"
                components.append([
                    "type": "cryptographic-asset", "bom-ref": .string(certificateReference),
                    "name": .string(certificate.commonName),
                    "cryptoProperties": [
                        "assetType": "certificate",
                        "certificateProperties": [
                            "subjectName": .string("CN=\(certificate.commonName), O=Example Corp"),
                            "issuerName": .string(certificate.issuer),
                            "notValidAfter": .string(ISO8601DateFormatter().string(from: certificate.notAfter)),
                            "subjectPublicKeyRef": .string(keyReference), "certificateFormat": "X.509",
                        ],
                    ],
                ])
                components.append([
                    "type": "cryptographic-asset", "bom-ref": .string(keyReference),
                    "name": .string("RSA-\(host.endpoint.keySize) public key"),
                    "cryptoProperties": [
                        "assetType": "related-crypto-material",
                        "relatedCryptoMaterialProperties": [
                            "type": "public-key", "size": JSON(host.endpoint.keySize),
                            "algorithmRef": .string(algorithmReference),
                        ],
                    ],
                ])
                if !components.contains(where: { $0["bom-ref"]?.stringValue == algorithmReference }) {
                    components.append([
                        "type": "cryptographic-asset", "bom-ref": .string(algorithmReference),
                        "name": .string("RSA-\(host.endpoint.keySize)"),
                        "cryptoProperties": [
                            "assetType": "algorithm",
                            "algorithmProperties": [
                                "primitive": "pke", "parameterSetIdentifier": .string(String(host.endpoint.keySize)),
                            ],
                        ],
                    ])
                }
                protocolDependencies.append(.string(certificateReference))
                dependencies.append(["ref": .string(certificateReference), "dependsOn": [.string(keyReference)]])
            }
            dependencies.append(["ref": .string(hostReference), "dependsOn": [.string(protocolReference)]])
            dependencies.append(["ref": .string(protocolReference), "dependsOn": .array(protocolDependencies)])
        }
        return [
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": "urn:uuid:5d3c1f0e-2a4b-4c6d-8e9f-0a1b2c3d4e5f",
            "metadata": [
                "timestamp": .string(ISO8601DateFormatter().string(from: generatedAt)),
                "tools": ["components": [["type": "application", "name": "cryptoconnect demo estate"]]],
            ],
            "components": .array(components), "dependencies": .array(dependencies),
        ]
    }

    /// The suite a target should show: the weakest the endpoint offers.
    func weakestSuite(_ host: Host) -> String {
        let weak = ["RC4", "3DES", "MD5", "CBC", "group1", "hmac-sha1"]
        return host.endpoint.cipherSuites.first { suite in weak.contains { suite.contains($0) } }
            ?? host.endpoint.cipherSuites[0]
    }

    /// 0 (nothing to fix) to 10 (fix now), as the platform's risk engine scores it.
    func riskScore(_ host: Host) -> Int {
        let endpoint = host.endpoint
        var score: Int
        switch (endpoint.protocolName, endpoint.version) {
        case ("TLS", "1.3"): score = 1
        case ("TLS", "1.2"): score = endpoint.cipherSuites.contains { $0.contains("3DES") } ? 6 : 2
        case ("TLS", "1.1"): score = 8
        case ("TLS", _): score = 9
        default: score = endpoint.keySize < 2048 ? 7 : 1
        }
        if let certificate = endpoint.certificate, certificate.notAfter.timeIntervalSince(generatedAt) < 30 * 86_400 {
            score += 2
        }
        return min(score, 10)
    }

    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }
}
