import JSONCore
import PluginABI

/// Checks that what a plugin returned keeps the ABI's promises, whatever isolation it ran under: JSON where JSON
/// is due, a result only for records that were sent, at most one each. A record the plugin left without a result
/// is failed explicitly rather than lost. A push's results come back in the order its records were sent.
enum OutcomeValidator {
    static func validate(
        _ outcome: CallOutcome, operation: PluginOperation, expectedKeys: [String]?, plugin: String
    ) throws(PluginCallError) -> CallOutcome {
        var outcome = outcome
        if !outcome.output.isEmpty, (try? JSON.parse(outcome.output)) == nil {
            if outcome.status == .ok {
                throw PluginCallError(
                    .protocolError,
                    "\(plugin) returned \(operation.rawValue) output that is not JSON: "
                        + preview(outcome.output))
            }
            // A failure message in plain text is allowed; keep it as the message.
        }
        if operation == .push, let expectedKeys, outcome.status == .ok {
            outcome.results = try reconcile(outcome.results, expected: expectedKeys, plugin: plugin)
        }
        if operation == .pull {
            for (index, record) in outcome.records.enumerated() {
                guard case .object? = try? JSON.parse(record) else {
                    throw PluginCallError(
                        .protocolError,
                        "\(plugin) emitted pulled record [\(index)] that is not a JSON object: "
                            + preview(record))
                }
            }
        }
        return outcome
    }

    /// The results in the order of `expected`, one each: a record the plugin left without one gets an internal
    /// failure. A caller can then pair the records it sent with their results by position.
    private static func reconcile(_ results: [RecordResult], expected: [String], plugin: String)
        throws(PluginCallError) -> [RecordResult]
    {
        // Plugins built with the SDK answer in the order sent: nothing to look up.
        if results.count == expected.count, zip(results, expected).allSatisfy({ $0.key == $1 }) { return results }
        var position: [String: Int] = [:]
        position.reserveCapacity(expected.count)
        for (index, key) in expected.enumerated() { position[key] = index }
        var aligned = [RecordResult?](repeating: nil, count: expected.count)
        for result in results {
            guard let index = position[result.key], aligned[index] == nil else {
                let reason = position[result.key] != nil ? "a second result for" : "a result for unknown"
                throw PluginCallError(.protocolError, "\(plugin) emitted \(reason) record \"\(result.key)\"")
            }
            aligned[index] = result
        }
        return zip(expected, aligned).map { key, result in
            result
                ?? RecordResult(key: key, status: .internal, message: "the plugin reported no result for this record")
        }
    }

    private static func preview(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(80), as: UTF8.self)
        return "\"\(text)\(bytes.count > 80 ? "…" : "")\""
    }
}
