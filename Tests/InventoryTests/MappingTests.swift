import Foundation
import Inventory
import JSONCore
import Testing

@Suite struct MappingTests {
    let now = InventoryFixture.now

    func map(
        _ transform: String, _ value: JSON, field: String = "extensions.value", record extra: JSON = [:]
    ) throws -> JSON {
        let mapping = try FieldMapping(json: [
            ["source_field": .string(field), "target_field": "out", "transform": .string(transform)]
        ])
        var record = extra.objectValue ?? [:]
        let parts = field.split(separator: ".").map(String.init)
        if parts.count == 2 {
            var section = record[parts[0]]?.objectValue ?? [:]
            section[parts[1]] = value
            record[parts[0]] = .object(section)
        } else {
            record[field] = value
        }
        return try mapping.apply(to: .object(record), now: now)["out"] ?? .null
    }

    @Test func theProductDocumentsServiceNowMapping() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "u_hostname", "target_table": "cmdb_ci_server"],
            [
                "source_field": "crypto_implementation.risk_score", "target_field": "u_crypto_risk_score",
                "transform": "scale_to_100",
            ],
        ])
        #expect(mapping.targetTable == "cmdb_ci_server")
        #expect(
            try mapping.apply(to: record(risk: 7)) == ["u_hostname": "web01.example.com", "u_crypto_risk_score": 70])
    }

    @Test(
        arguments: [
            ("scale_to_100", JSON.number(4.25), JSON.integer(43)),
            ("uppercase", "tls", "TLS"),
            ("lowercase", "TLS", "tls"),
            ("default(\"unknown\")", nil, "unknown"),
            ("default(0)", nil, 0),
            (#"map({"TLS": "tls", "SSH": "ssh"})"#, "SSH", "ssh"),
            (#"map({"TLS": "tls", "*": "other"})"#, "IPSec", "other"),
            ("truncate(3)", "abcdef", "abc"),
            ("iso_date", "2027-03-14T09:30:00Z", "2027-03-14"),
            ("number", "2048", 2048),
            ("number", " 7.5 ", 7.5),
            ("number", "12345678901234567", JSON.integer(12_345_678_901_234_567)),  // exact, not 1.2345678901234568e16
            ("date_to_days_remaining", "2026-12-26", 30),
            ("date_to_days_remaining", "2026-11-20", -6),
            ("lowercase | truncate(2)", "ABC", "ab"),
        ] as [(String, JSON, JSON)])
    func eachTransform(transform: String, input: JSON, expected: JSON) throws {
        #expect(try map(transform, input) == expected)
    }

    /// The moment a mapped count of days left drops, so a push can send it again then; nil where nothing depends
    /// on the clock.
    @Test func whenClockedFieldsChange() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "name", "transform": "uppercase"],
            [
                "source_field": "certificate.expiration_date", "target_field": "days_left",
                "transform": "date_to_days_remaining",
            ],
        ])
        let now = ISODates.parse("2026-11-26T09:00:00Z")!
        func next(_ expiry: JSON) -> String? {
            mapping.nextChange(of: ["certificate": ["expiration_date": expiry]], after: now).map(ISODates.dateTime)
        }
        #expect(next("2026-12-06T12:00:00Z") == "2026-11-26T12:00:01Z")  // 10 until 12:00:00, 9 just after
        #expect(next("2026-12-06") == "2026-11-27T00:00:00Z")  // a date alone: each midnight
        #expect(next("2026-12-06T09:00:00Z") == "2026-11-26T09:00:01Z")  // exactly 10 days: 9 just after now
        #expect(next("2026-12-06T12:00:00.500Z") == "2026-11-26T12:00:01Z")
        #expect(next("2026-11-20T06:00:00Z") == "2026-11-27T06:00:01Z")  // expired: -7 until then, then -8
        #expect(next(nil) == nil)
        #expect(next("soon") == nil)
        let unclocked = try FieldMapping(json: [["source_field": "asset.hostname", "target_field": "name"]])
        #expect(unclocked.nextChange(of: ["asset": ["hostname": "web1"]], after: now) == nil)
    }

    @Test(
        arguments: [
            (
                "scale_to_100", JSON.string("high"),
                "extensions.value → out: scale_to_100 needs a number from 0 to 10, got \"high\""
            ),
            ("scale_to_100", 12, "extensions.value → out: scale_to_100 needs a number from 0 to 10, got 12"),
            (
                "date_to_days_remaining", "soon",
                "extensions.value → out: date_to_days_remaining needs an ISO date, got \"soon\""
            ),
            ("iso_date", "31/12/2026", "extensions.value → out: iso_date needs a date, got \"31/12/2026\""),
            ("iso_date", "2026-02-30", "extensions.value → out: iso_date needs a date, got \"2026-02-30\""),
            ("number", "n/a", "extensions.value → out: number needs a numeric value, got \"n/a\""),
            ("number", "nan", "extensions.value → out: number needs a numeric value, got \"nan\""),
            ("number", "1e400", "extensions.value → out: number needs a numeric value, got \"1e400\""),
            ("number", "0x1F", "extensions.value → out: number needs a numeric value, got \"0x1F\""),
            (
                #"map({"TLS": "tls"})"#, "SSH",
                "extensions.value → out: map has no entry for \"SSH\" and no \"*\" fallback"
            ),
            ("uppercase", 5, "extensions.value → out: uppercase needs a string, got integer"),
        ] as [(String, JSON, String)])
    func badInputIsAProblemNamingTheField(transform: String, input: JSON, message: String) {
        #expect { try map(transform, input) } throws: { "\($0)" == message }
    }

    /// A push writes each item's fields straight into its batch: the bytes are those of the object `apply` makes,
    /// members in canonical order and nulls left out, and a record that fails writes nothing.
    @Test func writingTheFieldsGivesTheBytesOfWhatApplyMakes() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "zeta", "transform": "uppercase"],
            ["source_field": "asset.serial_number", "target_field": "Serial"],  // absent: left out
            ["source_field": "crypto_implementation.risk_score", "target_field": "risk", "transform": "scale_to_100"],
            ["source_field": "crypto_implementation.protocol", "target_field": "é.proto"],
            ["source_field": "extensions.value", "target_field": "a", "transform": "number"],
            ["source_field": "crypto_implementation.port", "target_field": "A_port"],
        ])
        func with(_ value: JSON, hostname: JSON = "web01.example.com") -> JSON {
            var fields = record(risk: 7).objectValue!
            fields["extensions"] = ["value": value]
            fields["asset"] = ["hostname": hostname]
            return .object(fields)
        }
        let good = with("12.5")
        var output = Array("prefix".utf8)
        try mapping.write(good, now: now, to: &output)
        #expect(output == Array("prefix".utf8) + JSON.object(try mapping.apply(to: good, now: now)).serializedBytes())
        #expect(String(decoding: output, as: UTF8.self).hasPrefix(#"prefix{"A_port":443,"a":12.5,"risk":70,"#))

        // Every problem, in the order of the entries, as `apply` names them.
        let bad = with("n/a", hostname: 5)
        let problems = """
            asset.hostname → zeta: uppercase needs a string, got integer
            extensions.value → a: number needs a numeric value, got "n/a"
            """
        #expect { try mapping.apply(to: bad, now: now) } throws: { "\($0)" == problems }
        var untouched = Array("prefix".utf8)
        #expect { try mapping.write(bad, now: now, to: &untouched) } throws: { "\($0)" == problems }
        #expect(untouched == Array("prefix".utf8))
    }

    @Test func formatFillsPlaceholders() throws {
        let mapping = try FieldMapping(json: [
            [
                "source_field": "asset.hostname", "target_field": "endpoint",
                "transform": #"format("{asset.hostname}:{port} ({value})")"#,
            ]
        ])
        #expect(try mapping.apply(to: record(port: 8443))["endpoint"] == "web01.example.com:8443 (web01.example.com)")
    }

    /// A field the template names and the record lacks leaves nothing to write, not "web01:" with its port missing:
    /// a following `default` fills it, and otherwise the field is not sent. A short name two sections share, and a
    /// brace left open, are refused when the mapping is built.
    @Test func formatWithAMissingFieldGivesNothing() throws {
        let mapping = try FieldMapping(json: [
            [
                "source_field": "asset.hostname", "target_field": "endpoint",
                "transform": #"format("{asset.hostname}:{port}") | default("unknown")"#,
            ],
            [
                "source_field": "asset.hostname", "target_field": "serial",
                "transform": #"format("SN {asset.serial_number}")"#,
            ],
        ])
        let ipOnly: JSON = ["asset": ["ip_address": "10.0.0.5"], "crypto_implementation": ["protocol": "TLS"]]
        #expect(try mapping.apply(to: ipOnly) == ["endpoint": "unknown"])
        // `{path?}` may be missing: it leaves no stray space.
        let optional = try FieldMapping(json: [
            [
                "source_field": "crypto_implementation.protocol", "target_field": "proto",
                "transform": #"format("{crypto_implementation.protocol} {crypto_implementation.protocol_version?}")"#,
            ]
        ])
        #expect(try optional.apply(to: ipOnly) == ["proto": "TLS"])
        #expect(try optional.apply(to: record(version: "1.2"))["proto"] == "TLS 1.2")
        for (template, message) in [
            (
                #"format("{serial_number}")"#,
                "format: {serial_number} is a field of asset and certificate; write {asset.serial_number} or {certificate.serial_number}"
            ),
            (#"format("{asset.hostname")"#, #"format: a { is not closed in "{asset.hostname""#),
        ] {
            #expect {
                _ = try FieldMapping(json: [
                    ["source_field": "asset.hostname", "target_field": "x", "transform": .string(template)]
                ])
            } throws: { "\($0)" == "mapping[0].transform: \(message)" }
        }
    }

    /// What would fail on every record at push time is refused when the mapping is built: a step given a type it
    /// cannot take, a field or table that is not text, an empty step, a parenthesis left open.
    @Test func typesAndShapesAreCheckedWhenBuilt() throws {
        #expect {
            _ = try FieldMapping(json: [
                ["source_field": "crypto_implementation.key_size", "target_field": "a", "transform": "uppercase"],
                ["source_field": "asset.hostname", "target_field": "b", "transform": "scale_to_100"],
                [
                    "source_field": "crypto_implementation.port", "target_field": "c",
                    "transform": "date_to_days_remaining",
                ],
                [
                    "source_field": "certificate.expiration_date", "target_field": "d",
                    "transform": "date_to_days_remaining | uppercase",
                ],
                ["source_field": 5, "target_field": "e"],
                ["source_field": "asset.hostname", "target_field": " "],
                ["source_field": "asset.hostname", "target_field": "f", "target_table": 5],
                ["source_field": "asset.hostname", "target_field": "g", "transform": "uppercase ||lowercase"],
                ["source_field": "asset.hostname", "target_field": "h", "transform": #"map({"a": "b""#],
                ["source_field": "asset.hostname", "target_field": "i\nj"],
                ["source_field": "asset.hostname", "target_field": "k", "transform": nil],
            ])
        } throws: { error in
            (error as? MappingProblems)?.problems.map(\.description) == [
                "mapping[0].transform: uppercase needs text, but crypto_implementation.key_size is an integer",
                "mapping[1].transform: scale_to_100 needs a number, but asset.hostname is a string",
                "mapping[2].transform: date_to_days_remaining needs a date, but crypto_implementation.port is an integer",
                "mapping[3].transform: uppercase needs text, but the step before gives a number",
                "mapping[4].source_field: must be a string, got integer 5",
                "mapping[5].target_field: must not be empty",
                "mapping[6].target_table: must be a string, got integer 5",
                #"mapping[7].transform: "uppercase ||lowercase" has an empty step between its |s"#,
                #"mapping[8].transform: map: the ( is not closed in "map({\"a\": \"b\"""#,
                "mapping[9].target_field: must not contain control characters",
            ]
        }
        // A mapping saved by an earlier release is read as it was accepted then: its integration keeps running.
        let saved = try FieldMapping(
            json: [
                [
                    "source_field": "asset.hostname", "target_field": "a",
                    "transform": #"format("{hostname}-{serial_number}")"#,
                ],
                ["source_field": "asset.hostname", "target_field": "b", "transform": "uppercase ||lowercase"],
                ["source_field": "crypto_implementation.key_size", "target_field": "c", "transform": "uppercase"],
            ], stored: true)
        let record: JSON = [
            "asset": ["hostname": "web01", "serial_number": "SN1"], "crypto_implementation": ["protocol": "TLS"],
        ]
        #expect(try saved.apply(to: record) == ["a": "web01-SN1", "b": "web01"])
        #expect(try FieldMapping(json: []).entries.isEmpty)  // a pull-only connector's
    }

    @Test func mappingsAreValidatedWhenBuilt() {
        #expect {
            _ = try FieldMapping(json: [
                ["source_field": "asset.hostnme", "target_field": "a"],
                ["source_field": "asset.hostname", "target_field": "b", "transform": "scale_to_1000"],
                ["source_field": "asset.ip_address", "target_field": "b"],
                ["source_field": "asset.ip_address", "target_field": "c", "transform": "truncate(x)"],
                ["target_field": "d"],
                [
                    "source_field": "asset.hostname", "target_field": "e",
                    "transform": #"format("{asset.hostnme}:{port}")"#,
                ],
                ["source_field": "asset.hostname", "target_field": "f", "transform": ["uppercase", 5]],
                ["source_field": "asset.hostname", "target_field": "g", "target_table": "cmdb_ci_server"],
                ["source_field": "certificate.issuer", "target_field": "h", "target_table": "cmdb_ci_certificate"],
                ["source_field": "crypto_implementation.compliance_status.PCI", "target_field": "i"],
            ])
        } throws: { error in
            (error as? MappingProblems)?.problems.map(\.description) == [
                "mapping[0].source_field: \"asset.hostnme\" is not a field of the standard crypto schema (did you mean \"asset.hostname\"?)",
                "mapping[1].transform: unknown transform \"scale_to_1000\" (known: scale_to_100, date_to_days_remaining, uppercase, lowercase, default, map, format, truncate, iso_date, number)",
                "mapping[2].target_field: \"b\" is already mapped by mapping[1]",
                "mapping[3].transform: truncate needs a positive length, e.g. truncate(40)",
                "mapping[4].source_field: is required",
                "mapping[5].transform: format: {asset.hostnme} is not a field of the standard crypto schema (use a path such as {asset.hostname}, a field such as {port}, or {value})",
                "mapping[6].transform: must be a string or an array of strings",
                "mapping[8].target_table: \"cmdb_ci_certificate\" differs from \"cmdb_ci_server\" named by mapping[7]: a mapping writes one table; map another in an integration of its own",
                "mapping[9].source_field: framework names are stored in lower case: use \"crypto_implementation.compliance_status.pci\"",
            ]
        }
    }

    /// A field named without its section is suggested with it (it suggested `source` for `risk_score`).
    @Test func aFieldWithoutItsSectionIsSuggestedWithIt() {
        #expect {
            try FieldMapping(json: [["source_field": "risk_score", "target_field": "r"]])
        } throws: { error in
            (error as? MappingProblems)?.problems.map(\.description) == [
                "mapping[0].source_field: \"risk_score\" is not a field of the standard crypto schema (did you mean \"crypto_implementation.risk_score\"?)"
            ]
        }
    }

    @Test func reverseMappingUndoesWhatCanBeUndone() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "name"],
            [
                "source_field": "crypto_implementation.risk_score", "target_field": "u_risk",
                "transform": "scale_to_100",
            ],
            [
                "source_field": "crypto_implementation.protocol", "target_field": "u_proto",
                "transform": #"map({"TLS": "tls", "SSH": "ssh"})"#,
            ],
            [
                "source_field": "certificate.expiration_date", "target_field": "u_days",
                "transform": "date_to_days_remaining",
            ],
            ["source_field": "asset.environment", "target_field": "u_env", "transform": "uppercase"],
            [
                "source_field": "crypto_implementation.protocol_version", "target_field": "u_tls",
                "transform": #"map({"1.3": "modern", "*": "legacy", "1.2": "legacy"})"#,
            ],
            [
                "source_field": "asset.id", "target_field": "u_kind",
                "transform": #"map({"a": "server", "*": "other"})"#,
            ],
        ])
        // A fallback onto a value another key gives is many-to-one; onto a value of its own, it is not.
        #expect(mapping.oneWayFields == ["u_days", "u_env", "u_tls"])
        let (restored, skipped, _) = mapping.reverse([
            "name": "web01", "u_risk": 70, "u_proto": "ssh", "u_days": 12, "u_env": "PRODUCTION",
        ])
        #expect(
            restored == [
                "asset": ["hostname": "web01"], "crypto_implementation": ["risk_score": 7, "protocol": "SSH"],
            ])
        #expect(skipped == ["u_days", "u_env"])
    }

    /// A pulled value comes back typed as its schema field: a port mapped to a name comes back a number, a
    /// ServiceNow key size given as text becomes a number, a serial number given as a number becomes text. Text made
    /// a number loses its form ("00123"), so that is one-way; a number kept a number is not.
    @Test func reverseMappingGivesEachFieldItsSchemaType() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "name"],
            [
                "source_field": "crypto_implementation.port", "target_field": "svc",
                "transform": #"map({"443": "https", "22": "ssh"})"#,
            ],
            ["source_field": "crypto_implementation.key_size", "target_field": "u_key", "transform": "number"],
            ["source_field": "crypto_implementation.risk_score", "target_field": "u_risk"],
            ["source_field": "asset.serial_number", "target_field": "serial"],
            ["source_field": "certificate.serial_number", "target_field": "cert_serial", "transform": "number"],
        ])
        #expect(mapping.oneWayFields == ["cert_serial"])
        let (restored, skipped, _) = mapping.reverse([
            "name": "web01", "svc": "https", "u_key": "4096", "u_risk": "7.5", "serial": 123, "cert_serial": 42,
        ])
        #expect(
            restored == [
                "asset": ["hostname": "web01", "serial_number": "123"],
                "crypto_implementation": ["port": 443, "key_size": 4096, "risk_score": 7.5],
            ])
        #expect(skipped == ["cert_serial"])
    }

    /// What the target holds as the mapping made it from the stored record is no change: a score of 7.25 pushed as
    /// 73 comes back as 7.3, which is not a new value; a score the target changed is.
    @Test func reverseOverTheStoredRecordLeavesOutWhatTheTargetHoldsUnchanged() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "name"],
            ["source_field": "crypto_implementation.risk_score", "target_field": "risk", "transform": "scale_to_100"],
        ])
        let stored: JSON = ["asset": ["hostname": "web01"], "crypto_implementation": ["risk_score": 7.25]]
        #expect(try mapping.apply(to: stored) == ["name": "web01", "risk": 73])
        #expect(mapping.reverse(["name": "web01", "risk": 73], over: stored).record == [:])
        #expect(
            mapping.reverse(["name": "web01", "risk": 40], over: stored).record
                == ["crypto_implementation": ["risk_score": 4]])
    }

    @Test func filtersSelectRecords() throws {
        let fixture = try InventoryFixture()
        _ = try fixture.ingestor.ingest(
            records: [
                record(host: "web01", risk: 8, expires: "2026-12-01"),
                record(host: "web02", suite: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", keySize: 1024, risk: 3),
                record(host: "db01", risk: 1, expires: "2028-01-01"),
                ["asset": ["hostname": "lab01"], "crypto_implementation": ["protocol": "SSH", "port": 22]],
                [
                    "asset": ["hostname": "mail01"],
                    "crypto_implementation": [
                        "protocol": "TLS", "port": 25,
                        "cipher_suites": ["TLS_AES_128_GCM_SHA256", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"],
                    ],
                ],
            ],
            tenant: "t")
        func hosts(_ filters: [String]) throws -> [String] {
            try fixture.repository.list(tenant: "t", filter: try InventoryFilter(filters, now: InventoryFixture.now))
                .compactMap { $0.document[path: "asset.hostname"]?.stringValue }
        }
        #expect(try hosts(["risk_score>=7"]) == ["web01"])
        #expect(try hosts(["hostname=web*"]) == ["web01", "web02"])
        #expect(try hosts(["key_size<2048"]) == ["web02"])
        #expect(try hosts(["expires_within_days=30"]) == ["web01"])
        #expect(try hosts(["protocol=tls", "hostname!=web01"]) == ["db01", "mail01", "web02"])
        // The suite a record names, or any of those it offers.
        #expect(try hosts(["cipher_suite=*3DES*"]) == ["mail01", "web02"])
        #expect(try hosts(["cipher_suite=tls_aes_128_gcm_sha256"]) == ["mail01"])
        #expect(try hosts(["cipher_suite=*3des*"]) == ["mail01", "web02"])  // patterns ignore case too
        #expect(try hosts(["hostname=WEB*"]) == ["web01", "web02"])
        #expect(try hosts(["cipher_suite!=*3DES*", "protocol=tls"]) == ["db01", "web01"])
        #expect(try hosts(["cipher_suite=tls_aes_256_gcm_sha384", "key_algorithm=RSA"]) == ["db01", "web01"])
        // A record without an environment is not in production.
        #expect(try hosts(["environment!=production"]) == ["lab01", "mail01"])
        #expect(try hosts(["environment!=prod*", "protocol=ssh"]) == ["lab01"])
        // The short names an ingest accepts stand for the environment stored.
        #expect(try hosts(["environment=prod"]) == ["db01", "web01", "web02"])
        #expect(try hosts(["environment!=PROD"]) == ["lab01", "mail01"])
        #expect(try hosts(["port=443", "key_size>=2048.0"]) == ["db01", "web01"])
        #expect(throws: InventoryFilter.Problem.self) { try InventoryFilter(["colour=blue"]) }
        #expect { try InventoryFilter(["risk_score>=high"]) } throws: { "\($0)".contains("\"high\" is not one") }
        #expect { try InventoryFilter(["environment=qa"]) } throws: { "\($0)".contains("got \"qa\"") }
        // A value finds what an ingest stored from it however it is written; `!=` keeps records without the field.
        #expect(try hosts(["hostname=WEB01."]) == ["web01"])
        #expect(try hosts(["ip_address=::ffff:10.0.0.1"]) == ["db01", "web01", "web02"])
        #expect(try hosts(["risk_score!=3", "protocol=TLS"]) == ["db01", "mail01", "web01"])
        // What no record can hold is refused, not answered with nothing.
        for (filter, message) in [
            ("protocol=FTP", "filter protocol takes TLS, SSH or IPSec; got \"FTP\""),
            ("compliance=bogus", "filter compliance takes compliant, non_compliant, unknown; got \"bogus\""),
            (
                "expires_within_days<=30",
                "filter expires_within_days takes = and a number of days, e.g. expires_within_days=30; got <="
            ),
        ] {
            #expect { try InventoryFilter([filter]) } throws: { "\($0)" == message }
        }
    }

    /// A MAC address matches however its octets are separated or cased.
    @Test func aMACFilterFindsTheStoredForm() throws {
        let fixture = try InventoryFixture()
        var raw = record().objectValue!
        raw["asset"] = ["hostname": "sw01", "mac_address": "00:1A:2B:3C:4D:5E"]
        _ = try fixture.ingestor.ingest(records: [.object(raw)], tenant: "t")
        let found = try fixture.repository.list(
            tenant: "t", filter: try InventoryFilter(["mac_address=00-1a-2B-3c-4D-5e"]))
        #expect(found.count == 1)
    }

    /// Versions compare as versions, however a scanner wrote them: `1.2` finds `TLSv1.2`, `TLS_1_2` and `1.2`.
    @Test func aProtocolVersionFilterFindsEveryWayOfWritingIt() throws {
        let fixture = try InventoryFixture()
        _ = try fixture.ingestor.ingest(
            records: [
                record(host: "a", version: "TLSv1.2"), record(host: "b", version: "TLS_1_2"),
                record(host: "c", version: "1.2"), record(host: "d", version: "TLS 1.3"),
                record(host: "e", version: "TLSv1"), record(host: "f", version: "SSLv3"),
                ["asset": ["hostname": "g"], "crypto_implementation": ["protocol": "TLS", "port": 443]],
            ],
            tenant: "t")
        func hosts(_ filters: [String]) throws -> [String] {
            try fixture.repository.list(tenant: "t", filter: try InventoryFilter(filters))
                .compactMap { $0.document[path: "asset.hostname"]?.stringValue }
        }
        #expect(try hosts(["protocol_version=1.2"]) == ["a", "b", "c"])
        #expect(try hosts(["protocol_version=tls1.2"]) == ["a", "b", "c"])
        #expect(try hosts(["protocol_version=1.0"]) == ["e"])
        #expect(try hosts(["protocol_version=sslv3"]) == ["f"])
        #expect(try hosts(["protocol_version!=1.2"]) == ["d", "e", "f", "g"])  // with the one without a version
        #expect(try hosts(["protocol_version=1.*"]) == ["a", "b", "c", "d", "e"])
        #expect(try hosts(["protocol_version=TLSv*"]) == ["a", "e"])  // as written, too
        #expect(try hosts(["protocol_version!=1.*"]) == ["f", "g"])
        #expect(ProtocolVersion.normalised("SSH-2.0") == "2.0")
        // An alias an ingest reads is no protocol to filter by: SSLv3 is a version of TLS's family.
        #expect(throws: InventoryFilter.Problem.self) { try InventoryFilter(["protocol=SSLv3"]) }
        #expect(ProtocolVersion.normalised("IKEv2") == "2.0")
    }

    /// Numbers SQLite would read as 0 (`inf`, `nan`, hexadecimal) are refused, and a number of days past the
    /// calendar is refused rather than crashing on the date it would make.
    @Test(arguments: ["risk_score>=inf", "risk_score>=nan", "port=0x1BB", "key_size<1e999", "port="])
    func numberFiltersTakeFiniteDecimals(filter: String) {
        #expect { try InventoryFilter([filter]) } throws: { "\($0)".contains("is not one") }
    }

    @Test(arguments: ["1e20", "1e300", "nan", "-100000000", "3000000", "thirty"])
    func expiryFiltersTakeDaysWithinTheCalendar(days: String) {
        #expect {
            try InventoryFilter(["expires_within_days=\(days)"])
        } throws: {
            "\($0)".contains("a number of days up to 365000 either way") && "\($0)".contains("got \"\(days)\"")
        }
    }
}
