import Foundation
import JSONCore

/// One record in a simulated system as a user of it would look it up: its name, and the crypto context connectors
/// wrote onto it (ServiceNow `u_crypto_*` columns, Lansweeper custom fields, Device42 `crypto_*` custom fields).
public struct TargetRecord: Sendable, Equatable {
    public let name: String
    public let cryptoContext: [String: String]
}

/// What connectors wrote into one simulator, for the demo and for a person poking at the sandbox.
public struct SimulatorSummary: Sendable {
    public let name: String
    /// The kind of record: configuration items, assets, devices.
    public let label: String
    public let records: Int
    /// Records carrying crypto context written by a connector.
    public let withCryptoContext: Int
    /// The riskiest such record's name and crypto fields (sorted by name).
    public let exampleName: String?
    public let example: [(field: String, value: String)]
}

extension Sandbox {
    /// Every record of a simulator (CIs of ServiceNow, assets of all Lansweeper sites, Device42 devices).
    public func records(in name: String) -> [TargetRecord] {
        let state = state(of: name)
        switch name {
        case "servicenow":
            return (state["records"]?.arrayValue ?? []).filter {
                $0["sys_class_name"]?.stringValue?.hasPrefix("cmdb_ci") ?? false
            }.map { ci in
                TargetRecord(
                    name: ci["name"]?.stringValue ?? "",
                    cryptoContext: Self.strings((ci.objectValue ?? [:]).filter { $0.key.hasPrefix("u_crypto_") }))
            }
        case "lansweeper":
            return (state["assets"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.flatMap {
                $0.value.arrayValue ?? []
            }
            .map { asset in
                TargetRecord(
                    name: asset["assetBasicInfo"]?["name"]?.stringValue ?? "",
                    cryptoContext: Self.strings(
                        (asset["assetCustom"]?.objectValue ?? [:]).filter { $0.key.hasPrefix("custom") }))
            }
        default:
            return (state["devices"]?.arrayValue ?? []).map { device in
                var fields: [String: String] = [:]
                for field in device["custom_fields"]?.arrayValue ?? [] {
                    guard let key = field["key"]?.stringValue, key.hasPrefix("crypto_"),
                        let value = field["value"]?.stringValue, !value.isEmpty
                    else { continue }
                    fields[key] = value
                }
                return TargetRecord(name: device["name"]?.stringValue ?? "", cryptoContext: fields)
            }
        }
    }

    public func summary(of name: String) -> SimulatorSummary {
        let all = records(in: name)
        // The riskiest record makes the better example: that is what a CMDB owner would look at first.
        let riskField = ["servicenow": "u_crypto_risk_score", "lansweeper": "custom3"][name] ?? "crypto_risk_score"
        let written = all.filter { !$0.cryptoContext.isEmpty }.sorted {
            Int($0.cryptoContext[riskField] ?? "") ?? -1 > Int($1.cryptoContext[riskField] ?? "") ?? -1
        }
        return SimulatorSummary(
            name: name, label: ["servicenow": "configuration items", "lansweeper": "assets"][name] ?? "devices",
            records: all.count, withCryptoContext: written.count, exampleName: written.first?.name,
            example: (written.first?.cryptoContext ?? [:]).sorted { $0.key < $1.key }.map {
                (field: $0.key, value: $0.value)
            })
    }

    private static func strings(_ object: [String: JSON]) -> [String: String] {
        object.compactMapValues { $0.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
    }
}
