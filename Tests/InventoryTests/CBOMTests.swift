import Foundation
import Inventory
import JSONCore
import TestSupport
import Testing

/// CycloneDX 1.6 CBOMs: one made by cyclonedx-python-lib (Tests/Fixtures/cbom/make_cbom.py), one hand-written.
@Suite struct CBOMTests {
    @Test func importsTLSSSHAndCertificatesFromRealTooling() throws {
        let fixture = try InventoryFixture()
        let report = try fixture.ingestor.ingest(
            file: PackagePaths.fixture("cbom/estate.cdx.json"), tenant: "t", format: .cbom)
        #expect(report.counts.inserted == 2)
        #expect(
            report.notices == [
                "components[0] (bom-ref algo-md5): algorithm \"MD5\" is not linked to a protocol of a host; not imported"
            ])
        let records = try fixture.repository.list(tenant: "t")
        let web = try #require(records.first { $0.document[path: "asset.hostname"] == "web01.example.com" }).document
        #expect(web[path: "asset.ip_address"] == "10.20.0.11")
        #expect(web[path: "asset.environment"] == "production")
        #expect(web[path: "crypto_implementation.protocol"] == "TLS")
        #expect(web[path: "crypto_implementation.protocol_version"] == "1.2")
        #expect(web[path: "crypto_implementation.port"] == 443)
        #expect(web[path: "crypto_implementation.cipher_suite"] == "TLS_RSA_WITH_3DES_EDE_CBC_SHA")
        #expect(web[path: "crypto_implementation.key_size"] == 2048)
        #expect(web[path: "certificate.common_name"] == "web01.example.com")
        #expect(web[path: "certificate.issuer"] == "CN=Example Issuing CA 2, O=Example Corp")
        #expect(web[path: "certificate.expiration_date"] == "2026-12-20T00:00:00Z")
        #expect(web[path: "certificate.key_algorithm"] == "RSA")
        #expect(web[path: "certificate.signature_algorithm"] == "SHA256withRSA")
        let ssh = try #require(records.first { $0.document[path: "asset.hostname"] == "bastion01.example.com" })
            .document
        #expect(ssh[path: "crypto_implementation.protocol"] == "SSH")
        #expect(ssh[path: "crypto_implementation.port"] == 22)
        #expect(try fixture.events().contains { $0.hasPrefix("alert:") })  // the 3DES suite
    }

    @Test func ipsecUnknownProtocolsAndOrphansAreReported() throws {
        let fixture = try InventoryFixture()
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": ["component": ["type": "device", "name": "vpn-gw01", "bom-ref": "gw"]],
            "components": [
                [
                    "type": "cryptographic-asset", "bom-ref": "ike", "name": "IKEv2",
                    "cryptoProperties": [
                        "assetType": "protocol",
                        "protocolProperties": [
                            "type": "ike", "version": "2",
                            "cipherSuites": [["name": "ENCR_AES_CBC_256-PRF_HMAC_SHA2_256-MODP1024"]],
                        ],
                    ],
                ],
                [
                    "type": "cryptographic-asset", "bom-ref": "wpa", "name": "WPA2",
                    "cryptoProperties": ["assetType": "protocol", "protocolProperties": ["type": "wpa"]],
                ],
                [
                    "type": "cryptographic-asset", "bom-ref": "dtls", "name": "DTLS 1.2",
                    "cryptoProperties": [
                        "assetType": "protocol", "protocolProperties": ["type": "dtls", "version": "1.2"],
                    ],
                ],
                [
                    "type": "cryptographic-asset", "bom-ref": "lost-cert", "name": "old",
                    "cryptoProperties": [
                        "assetType": "certificate", "certificateProperties": ["subjectName": "CN=old"],
                    ],
                ],
            ],
            "dependencies": [["ref": "gw", "dependsOn": ["ike", "wpa", "dtls"]]],
        ]
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("vpn.json", cbom.serialized()), tenant: "t")
        #expect(report.format == .cbom)
        #expect(report.counts.inserted == 1)
        let record = try #require(try fixture.repository.list(tenant: "t").first).document
        #expect(record[path: "crypto_implementation.protocol"] == "IPSec")
        #expect(record[path: "asset.hostname"] == "vpn-gw01")
        #expect(
            report.notices.contains {
                $0.contains("components[1] (bom-ref wpa): protocol type \"wpa\" is not TLS, SSH or IPsec")
            })
        // DTLS is not TLS: as a TLS record it would take the key of the TLS endpoint on its host and port.
        #expect(
            report.notices.contains {
                $0.contains("components[2] (bom-ref dtls): protocol type \"dtls\" is not imported")
            })
        #expect(report.notices.contains { $0.contains("bom-ref lost-cert): certificate \"old\" is not linked") })
        #expect(
            try fixture.repository.events(tenant: "t").contains {
                $0.event.detail["reasons"]?.serialized().contains("1024-bit DH group") == true
            })
    }

    @Test func aDocumentThatIsNotCycloneDXIsRefused() throws {
        let fixture = try InventoryFixture()
        let path = fixture.folder.file("x.json", #"{"bomFormat": "SPDX"}"#)
        #expect { _ = try fixture.ingestor.ingest(file: path, tenant: "t", format: .cbom) } throws: {
            "\($0)".contains("is not a CycloneDX document")
        }
    }

    /// A host with a TLS and an SSH endpoint where only TLS has a certificate, two ports-less TLS endpoints on
    /// another host, a post-quantum key, a library, a dangling reference and a nameless host.
    @Test func eachProtocolKeepsItsOwnCertificateAndEveryLeftOverIsNamed() throws {
        let fixture = try InventoryFixture()
        func protocolComponent(_ reference: String, _ type: String, port: Int?) -> JSON {
            var component: [String: JSON] = [
                "type": "cryptographic-asset", "bom-ref": .string(reference), "name": .string(reference),
                "cryptoProperties": ["assetType": "protocol", "protocolProperties": ["type": .string(type)]],
            ]
            if let port { component["properties"] = [["name": "port", "value": .string("\(port)")]] }
            return .object(component)
        }
        func asset(_ reference: String, _ type: String, _ properties: JSON) -> JSON {
            [
                "type": "cryptographic-asset", "bom-ref": .string(reference), "name": .string(reference),
                "cryptoProperties": .object(["assetType": .string(type), type + "Properties": properties]),
            ]
        }
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [
                ["type": "device", "bom-ref": "web", "name": "web01.example.com"],
                protocolComponent("tls", "tls", port: 443),
                protocolComponent("ssh", "ssh", port: 22),
                asset(
                    "cert", "certificate",
                    ["subjectName": "CN=web01", "notValidAfter": "2030-01-01T00:00:00Z", "subjectPublicKeyRef": "key"]),
                [
                    "type": "cryptographic-asset", "bom-ref": "key", "name": "RSA-1024",
                    "cryptoProperties": [
                        "assetType": "related-crypto-material",
                        "relatedCryptoMaterialProperties": ["type": "public-key", "size": 1024],
                    ],
                ],
                ["type": "library", "bom-ref": "openssl", "name": "openssl"],
                ["type": "device", "bom-ref": "mail", "name": "mail01.example.com"],
                protocolComponent("smtps", "tls", port: nil),
                protocolComponent("imaps", "tls", port: nil),
                asset("pq-cert", "certificate", ["subjectName": "CN=mail01", "subjectPublicKeyRef": "ml-dsa"]),
                asset("ml-dsa", "algorithm", ["primitive": "signature", "parameterSetIdentifier": "65"]),
                ["type": "device", "bom-ref": "nameless", "name": "Payments Gateway"],
                protocolComponent("pay-tls", "tls", port: 443),
            ],
            "dependencies": [
                ["ref": "web", "dependsOn": ["tls", "ssh", "openssl", "missing"]],
                ["ref": "tls", "dependsOn": ["cert"]],
                ["ref": "mail", "dependsOn": ["smtps", "imaps", "pq-cert"]],
                ["ref": "nameless", "dependsOn": ["pay-tls"]],
            ],
        ]
        let json = cbom.serialized().replacingOccurrences(of: "\"name\":\"ml-dsa\"", with: "\"name\":\"ML-DSA-65\"")
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("estate.cdx.json", json), tenant: "t")
        #expect(report.counts.inserted == 3)
        #expect(report.counts.updated == 0)
        let records = try fixture.repository.list(tenant: "t").map(\.document)
        let ssh = try #require(records.first { $0[path: "crypto_implementation.protocol"] == "SSH" })
        #expect(ssh["certificate"] == nil)
        #expect(ssh[path: "crypto_implementation.key_size"] == nil)
        let tls = try #require(records.first { $0[path: "crypto_implementation.port"] == 443 })
        #expect(tls[path: "crypto_implementation.key_size"] == 1024)
        let mail = try #require(records.first { $0[path: "asset.hostname"] == "mail01.example.com" })
        #expect(mail[path: "certificate.key_algorithm"] == "ML-DSA")
        #expect(mail[path: "crypto_implementation.key_size"] == nil)  // 65 is a security category, not bits
        let expected = [
            #"dependencies[0]: "web" depends on "missing", which no component has as its bom-ref; ignored"#,
            #"components[5] (bom-ref openssl): library "openssl" is linked to no protocol; not imported"#,
            "components[8] (bom-ref imaps): the same host, protocol and port as components[7] (bom-ref smtps) "
                + "(mail01.example.com|TLS|-); give each a port property. Not imported",
            #"components[11] (bom-ref nameless): "Payments Gateway" is not a host name and the component has no "#
                + "ip_address property; its 1 protocol(s) are not imported",
        ]
        #expect(report.notices == expected)
    }

    /// Parts the importer used to drop without a word: a protocol nested in its device, an SSH host key, IKEv2
    /// transforms and the version its type names, a suite known only by its identifiers, a port that is not a number or given twice, a chain's
    /// issuing certificate.
    @Test func nestedKeysTransformsAndOddPortsAreImportedOrNamed() throws {
        let fixture = try InventoryFixture()
        func crypto(_ reference: String, _ name: String, _ properties: JSON, port: [String] = []) -> JSON {
            [
                "type": "cryptographic-asset", "bom-ref": .string(reference), "name": .string(name),
                "cryptoProperties": properties,
                "properties": .array(port.map { ["name": "port", "value": .string($0)] }),
            ]
        }
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [
                [
                    "type": "device", "bom-ref": "bastion", "name": "bastion01.example.com",
                    "components": [
                        crypto(
                            "ssh", "SSH-2", ["assetType": "protocol", "protocolProperties": ["type": "ssh"]],
                            port: ["22"]),
                        crypto(
                            "host-key", "RSA-1024",
                            [
                                "assetType": "related-crypto-material",
                                "relatedCryptoMaterialProperties": ["type": "public-key", "size": 1024],
                            ]),
                    ],
                ],
                ["type": "device", "bom-ref": "gw", "name": "vpn-gw01.example.com"],
                crypto(
                    "ike", "IKEv2",
                    [
                        "assetType": "protocol",
                        "protocolProperties": [
                            "type": "ikev2",  // the version is in the type alone
                            "ikev2TransformTypes": ["encr": ["alg-3des"], "integ": ["hmac-md5"], "ke": [2]],
                            "cipherSuites": [["identifiers": ["0x00", "0x05"]]],
                        ],
                    ], port: ["500", "4500"]),
                crypto("alg-3des", "3DES-CBC", ["assetType": "algorithm"]),
                ["type": "device", "bom-ref": "web", "name": "web01.example.com"],
                crypto(
                    "tls", "TLS", ["assetType": "protocol", "protocolProperties": ["type": "tls"]], port: ["https"]),
                crypto(
                    "leaf", "web01", ["assetType": "certificate", "certificateProperties": ["subjectName": "CN=web01"]]),
                crypto(
                    "ca", "issuing CA", ["assetType": "certificate", "certificateProperties": ["subjectName": "CN=CA"]]),
                ["type": "device", "bom-ref": "mail", "name": "mail01.example.com"],
                crypto(
                    "smtps", "TLS", ["assetType": "protocol", "protocolProperties": ["type": "tls"]], port: ["465"]),
                crypto(
                    "mail-cert", "mail01",
                    ["assetType": "certificate", "certificateProperties": ["subjectName": "CN=m"]]),
                crypto(
                    "mail-ca", "mail CA",
                    ["assetType": "certificate", "certificateProperties": ["subjectName": "CN=C"]]),
            ],
            "dependencies": [
                ["ref": "bastion", "dependsOn": ["ssh"]], ["ref": "ssh", "dependsOn": ["host-key"]],
                ["ref": "gw", "dependsOn": ["ike"]], ["ref": "ike", "dependsOn": ["alg-3des"]],
                ["ref": "web", "dependsOn": ["tls"]], ["ref": "tls", "dependsOn": ["leaf"]],
                ["ref": "leaf", "dependsOn": ["ca"]],
                ["ref": "mail", "dependsOn": ["smtps"]], ["ref": "smtps", "dependsOn": ["mail-cert"]],
                ["ref": "mail-cert", "dependsOn": ["mail-ca"]],
            ],
        ]
        let report = try fixture.ingestor.ingest(
            file: fixture.folder.file("odd.cdx.json", cbom.serialized()), tenant: "t")
        #expect(report.counts.inserted == 3)
        #expect(report.counts.rejected == 1)
        #expect(
            report.rejections.map(\.description) == [
                "components[5] (bom-ref tls): crypto_implementation.port: must be a port number (1-65535), got \"https\""
            ])
        let records = try fixture.repository.list(tenant: "t").map(\.document)
        let ssh = try #require(records.first { $0[path: "crypto_implementation.protocol"] == "SSH" })
        #expect(ssh[path: "asset.hostname"] == "bastion01.example.com")
        #expect(ssh[path: "crypto_implementation.key_size"] == 1024)
        let ike = try #require(records.first { $0[path: "crypto_implementation.protocol"] == "IPSec" })
        #expect(ike[path: "crypto_implementation.cipher_suites"] == ["3DES-CBC", "hmac-md5", "modp1024"])
        #expect(ike[path: "crypto_implementation.port"] == 500)
        #expect(ike[path: "crypto_implementation.protocol_version"] == "IKEv2")
        let reasons = try fixture.repository.events(tenant: "t").filter { $0.event.kind == .alert }
            .flatMap { $0.event.detail["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        #expect(reasons.contains("RSA key of 1024 bits is below 2048"))
        #expect(reasons.contains("cipher suite 3DES-CBC uses 3DES (Sweet32)"))
        #expect(reasons.contains("cipher suite modp1024 uses a 1024-bit DH group"))
        #expect(
            report.notices == [
                "components[2] (bom-ref ike): cipherSuites[0] has no name (identifiers 0x00, 0x05); give it the "
                    + "suite's name. Not imported",
                "components[2] (bom-ref ike): port properties disagree (500, 4500); 500 is used",
                "components[7] (bom-ref ca): certificate \"issuing CA\" is linked to components[5] (bom-ref tls), "
                    + "whose record keeps only the endpoint's own certificate and that certificate's key and algorithms; "
                    + "not imported",
                "components[11] (bom-ref mail-ca): certificate \"mail CA\" is linked to components[9] (bom-ref smtps), "
                    + "whose record keeps only the endpoint's own certificate and that certificate's key and algorithms; "
                    + "not imported",
            ])
    }

    /// CycloneDX 1.6 links a protocol to its certificate in `protocolProperties.cryptoRefArray` (as its TLS example
    /// does), not only through `dependencies`: the endpoint's own certificate (not the CA listed before it), its key
    /// and algorithms are imported. An asset of a type the schema has no place for is named as such.
    @Test func aCertificateNamedInCryptoRefArrayIsTheProtocols() throws {
        let fixture = try InventoryFixture()
        func crypto(_ reference: String, _ name: String, _ properties: JSON) -> JSON {
            [
                "type": "cryptographic-asset", "bom-ref": .string(reference), "name": .string(name),
                "cryptoProperties": properties,
            ]
        }
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": ["component": ["type": "device", "bom-ref": "gw", "name": "gw01.example.com"]],
            "components": [
                crypto("sha1rsa", "SHA1withRSA", ["assetType": "algorithm"]),
                crypto("rsa", "RSA-1024", ["assetType": "algorithm"]),
                crypto(
                    "key", "gw key",
                    [
                        "assetType": "related-crypto-material",
                        "relatedCryptoMaterialProperties": ["type": "public-key", "algorithmRef": "rsa", "size": 1024],
                    ]),
                crypto(
                    "cert", "gw cert",
                    [
                        "assetType": "certificate",
                        "certificateProperties": [
                            "subjectName": "CN=gw01.example.com", "issuerName": "CN=Example CA",
                            "notValidAfter": "2031-01-01T00:00:00Z",
                            "signatureAlgorithmRef": "sha1rsa", "subjectPublicKeyRef": "key",
                        ],
                    ]),
                crypto(
                    "tls", "TLS",
                    [
                        "assetType": "protocol",
                        "protocolProperties": [
                            "type": "tls", "version": "1.2", "cryptoRefArray": ["ca", "cert", "nowhere"],
                        ],
                    ]),
                crypto(
                    "ca", "issuing CA",
                    [
                        "assetType": "certificate",
                        "certificateProperties": ["subjectName": "CN=Example CA", "issuerName": "CN=Root"],
                    ]),
            ],
            "dependencies": [["ref": "gw", "dependsOn": ["tls"]], ["ref": "tls", "dependsOn": ["odd"]]],
        ]
        var components = cbom["components"]!.arrayValue!
        components.append(crypto("odd", "odd", ["assetType": "key-agreement"]))
        var document = cbom.objectValue!
        document["components"] = .array(components)
        let report = try fixture.ingestor.ingest(
            file: fixture.folder.file("refs.cdx.json", JSON.object(document).serialized()), tenant: "t")
        #expect(report.counts.inserted == 1)
        #expect(
            report.notices == [
                #"components[4] (bom-ref tls): cryptoRefArray names "nowhere", which no component has as its bom-ref; ignored"#,
                "components[5] (bom-ref ca): certificate \"issuing CA\" is linked to components[4] (bom-ref tls), whose "
                    + "record keeps only the endpoint's own certificate and that certificate's key and algorithms; not "
                    + "imported",
                #"components[6] (bom-ref odd): key-agreement "odd": the standard schema has no place for this asset type; not imported"#,
            ])
        let record = try #require(try fixture.repository.list(tenant: "t").first?.document)
        #expect(record[path: "certificate.common_name"] == "gw01.example.com")
        #expect(record[path: "certificate.signature_algorithm"] == "SHA1withRSA")
        #expect(record[path: "crypto_implementation.key_size"] == 1024)
    }

    /// A record is built from several components; a value validation refuses is named by the component (and the
    /// property) it came from, where the user has to fix it, as well as by the record's own place.
    @Test func aRefusedValueNamesTheComponentItCameFrom() throws {
        let fixture = try InventoryFixture()
        let cbom: JSON = [
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [
                [
                    "type": "device", "bom-ref": "web", "name": "web01.example.com",
                    "properties": [["name": "environment", "value": "lab"], ["name": "port", "value": "99999"]],
                ],
                [
                    "type": "cryptographic-asset", "bom-ref": "tls", "name": "TLS",
                    "cryptoProperties": ["assetType": "protocol", "protocolProperties": ["type": "tls"]],
                ],
                [
                    "type": "cryptographic-asset", "bom-ref": "leaf", "name": "web01",
                    "cryptoProperties": [
                        "assetType": "certificate",
                        "certificateProperties": [
                            "subjectName": "CN=web01", "notValidAfter": "next spring", "subjectPublicKeyRef": "key",
                        ],
                    ],
                ],
                [
                    "type": "cryptographic-asset", "bom-ref": "key", "name": "RSA",
                    "cryptoProperties": [
                        "assetType": "related-crypto-material",
                        "relatedCryptoMaterialProperties": ["type": "public-key", "size": -2048],
                    ],
                ],
            ],
            "dependencies": [["ref": "web", "dependsOn": ["tls"]], ["ref": "tls", "dependsOn": ["leaf"]]],
        ]
        let report = try fixture.ingestor.ingest(
            file: fixture.folder.file("bad.cdx.json", cbom.serialized()), tenant: "t")
        #expect(report.counts.rejected == 1)
        let rejections = report.rejections.map(\.description)
        #expect(
            rejections.contains {
                $0.hasPrefix(
                    "components[1] (bom-ref tls): certificate.expiration_date (notValidAfter of components[2] "
                        + "(bom-ref leaf)): ")
            })
        #expect(
            rejections.contains {
                $0.hasPrefix(
                    "components[1] (bom-ref tls): crypto_implementation.key_size (size of components[3] (bom-ref key)): "
                        + "must be a positive integer")
            })
        #expect(
            rejections.contains {
                $0.hasPrefix(
                    "components[1] (bom-ref tls): crypto_implementation.port (port property of components[0] "
                        + "(bom-ref web)): ")
            })
        #expect(
            rejections.contains {
                $0.hasPrefix("components[1] (bom-ref tls): asset.environment (components[0] (bom-ref web)): ")
            })
        #expect(rejections.count == 4, "\(rejections)")
    }

    /// Detection reads a file's head; a large CBOM that names its format at the end is still read as one.
    @Test func aCBOMThatNamesItsFormatLateIsStillRecognised() throws {
        let fixture = try InventoryFixture()
        let original = try JSON.parse(
            Array(try Data(contentsOf: URL(fileURLWithPath: PackagePaths.fixture("cbom/estate.cdx.json")))))
        var padded = original.objectValue!
        padded["bomFormat"] = nil
        let head = JSON.object(padded).serialized().dropLast()  // the closing brace
        let filler = String(repeating: " ", count: 100_000)
        let text = head + ",\"annotations\":[]" + filler + ",\"bomFormat\":\"CycloneDX\"}"
        let report = try fixture.ingestor.ingest(file: fixture.folder.file("late.json", String(text)), tenant: "t")
        #expect(report.format == .cbom)
        #expect(report.counts.inserted == 2)
    }

    @Test func componentsThatAreNotAnArrayAreOneClearError() throws {
        let fixture = try InventoryFixture()
        let path = fixture.folder.file(
            "x.cdx.json", #"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {"a": 1}}"#)
        #expect { _ = try fixture.ingestor.ingest(file: path, tenant: "t") } throws: {
            "\($0)".contains(#""components" must be an array, got object; nothing was ingested"#)
        }
    }
}
