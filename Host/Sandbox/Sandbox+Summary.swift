import Foundation
import JSONCore

/// What a connector wrote into each simulator, for the demo and for a person poking at the sandbox.
public struct SimulatorSummary: Sendable {
    public let name: String
    /// Records the simulator holds (CIs, assets, devices).
    public let records: Int
    /// Records carrying crypto context written by a connector.
    public let withCryptoContext: Int
    /// One such record's crypto fields, as the target shows them.
    public let example: [(field: String, value: String)]
    public let label: String
}

extension Sandbox {
    /// ServiceNow: CIs with `u_crypto_*` columns; Lansweeper: assets with custom fields; Device42: devices with
    /// `crypto_*` custom fields.
    public func summary(of name: String) -> SimulatorSummary {
        let state = state(of: name)
        switch name {
        case "servicenow":
            let cis = (state["records"]?.arrayValue ?? []).filter {
                $0["sys_class_name"]?.stringValue?.hasPrefix("cmdb_ci") ?? false
            }
            return summarize(
                name, label: "configuration items", cis,
                fields: { ci in
                    (ci.objectValue ?? [:]).filter { $0.key.hasPrefix("u_crypto_") }
                        .compactMap { key, value in value.stringValue.map { (key, $0) } }
                })
        case "lansweeper":
            let assets = (state["assets"]?.objectValue ?? [:]).values.flatMap { $0.arrayValue ?? [] }
            return summarize(
                name, label: "assets", assets,
                fields: { asset in
                    (asset["assetCustom"]?.objectValue ?? [:]).filter { $0.key.hasPrefix("custom") }
                        .compactMap { key, value in value.stringValue.map { (key, $0) } }
                })
        default:
            return summarize(
                name, label: "devices", state["devices"]?.arrayValue ?? [],
                fields: { device in
                    (device["custom_fields"]?.arrayValue ?? []).compactMap { field in
                        guard let key = field["key"]?.stringValue, key.hasPrefix("crypto_"),
                            let value = field["value"]?.stringValue
                        else { return nil }
                        return (key, value)
                    }
                })
        }
    }

    private func summarize(
        _ name: String, label: String, _ records: [JSON], fields: (JSON) -> [(String, String)]
    ) -> SimulatorSummary {
        let written = records.map { fields($0).filter { !$0.1.isEmpty } }.filter { !$0.isEmpty }
        return SimulatorSummary(
            name: name, records: records.count, withCryptoContext: written.count,
            example: (written.first ?? []).sorted { $0.0 < $1.0 }.map { (field: $0.0, value: $0.1) }, label: label)
    }
}
