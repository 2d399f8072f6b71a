import Foundation
import Inventory
import JSONCore
import Testing

/// Mappings as users write them: keys with dots, chains across lines, literal values down a chain, templates with
/// optional parts, and options spelt wrong.
@Suite struct MappingShapeTests {
    let record: JSON = [
        "asset": ["hostname": "web01"],
        "crypto_implementation": [
            "protocol": "TLS", "port": 443,
            "compliance_status": ["pci_dss_4.0": "non_compliant", "hipaa": "compliant"],
        ],
        "extensions": ["cmdb.owner": "ops"],
    ]

    /// A framework or an extension key with a dot in its name maps, and a framework comes back under its own name.
    @Test func keysWithDotsMapBothWays() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "crypto_implementation.compliance_status.pci_dss_4.0", "target_field": "pci"],
            ["source_field": "extensions.cmdb.owner", "target_field": "owner"],
            [
                "source_field": "asset.hostname", "target_field": "name",
                "transform": #"format("{compliance_status.pci_dss_4.0}")"#,
            ],
        ])
        #expect(try mapping.apply(to: record) == ["pci": "non_compliant", "owner": "ops", "name": "non_compliant"])
        let back = mapping.reverse(["pci": "compliant"]).record
        #expect(back == ["crypto_implementation": ["compliance_status": ["pci_dss_4.0": "compliant"]]])
        // An extension kept flat (`cmdb.owner`) comes back flat over the stored record, not as a nested copy.
        #expect(mapping.reverse(["owner": "sec"], over: record).record == ["extensions": ["cmdb.owner": "sec"]])
    }

    /// Whitespace around a `|` may include line breaks, as in a mapping file edited by hand.
    @Test func aChainMayBreakAcrossLines() throws {
        let mapping = try FieldMapping(json: [
            ["source_field": "asset.hostname", "target_field": "n", "transform": "uppercase |\n  truncate(3)"]
        ])
        #expect(try mapping.apply(to: record) == ["n": "WEB"])
    }

    /// Types are followed through `default` and `map`, and a date is not a number: what would fail on every record
    /// at push time is refused when the mapping is saved.
    @Test(arguments: [
        (
            "crypto_implementation.key_size", "default(0) | uppercase",
            "uppercase needs text, but crypto_implementation.key_size is an integer"
        ),
        (
            "crypto_implementation.protocol", #"map({"TLS": 1, "SSH": 2}) | lowercase"#,
            "lowercase needs text, but the step before gives an integer"
        ),
        (
            "certificate.expiration_date", "number",
            "number needs text or a number, but certificate.expiration_date is a date"
        ),
    ])
    func typesAreFollowedThroughLiterals(source: String, transform: String, message: String) {
        #expect {
            try FieldMapping(json: [
                ["source_field": .string(source), "target_field": "x", "transform": .string(transform)]
            ])
        } throws: { "\($0)" == "mapping[0].transform: \(message)" }
    }

    /// A map to numbers comes back from a target that gives every value as text (ServiceNow's `"1"`).
    @Test func aMapToNumbersComesBackFromText() throws {
        let mapping = try FieldMapping(json: [
            [
                "source_field": "crypto_implementation.protocol", "target_field": "p",
                "transform": #"map({"TLS": 1, "SSH": 2})"#,
            ]
        ])
        #expect(try mapping.apply(to: record) == ["p": 1])
        let back = mapping.reverse(["p": "2"])
        #expect(back.problems.isEmpty)
        #expect(back.record == ["crypto_implementation": ["protocol": "SSH"]])
        // What the push made of the stored record is no change.
        #expect(mapping.reverse(["p": "1"], over: record).record == [:])
    }

    /// Optional parts left out leave no doubled space, and a template whose every part is missing makes nothing,
    /// which a following `default` fills.
    @Test func optionalPartsLeftOut() throws {
        let mapping = try FieldMapping(json: [
            [
                "source_field": "asset.hostname", "target_field": "a",
                "transform": #"format("{protocol} {protocol_version?} port {port}")"#,
            ],
            [
                "source_field": "asset.ip_address", "target_field": "b",
                "transform": #"format("{asset.serial_number?}") | default("none")"#,
            ],
        ])
        #expect(try mapping.apply(to: record) == ["a": "TLS port 443", "b": "none"])
    }

    /// A misspelt option is refused rather than ignored; a mapping saved before is read as it was.
    @Test func unknownOptionsAreRefused() throws {
        let misspelt: JSON = [
            "one_item_pre": "asset", "mapping": [["source_field": "asset.hostname", "target_field": "n"]],
        ]
        #expect { try FieldMapping(json: misspelt) } throws: {
            "\($0)" == "one_item_pre: is not a mapping option (known: mapping, one_item_per)"
        }
        #expect(try FieldMapping(json: misspelt, stored: true).entries.count == 1)
    }
}
