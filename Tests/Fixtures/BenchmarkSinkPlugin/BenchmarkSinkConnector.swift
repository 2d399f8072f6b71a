import PluginSDK

/// A connector that accepts every record, as a real one would after sending it: the SDK parses the batch into
/// records and the connector touches each one's fields. The benchmarks use it to measure a realistic plugin-side
/// cost against which isolation's cost is compared.
final class BenchmarkSinkConnector: PushConnector {
    static let info = ConnectorInfo(
        id: "bench-sink", name: "Sink (benchmark)", version: "1.0.0", vendor: "CryptoConnect tests",
        description: "Accepts every pushed record; used by the benchmarks.")

    init(configuration: Configuration, host: ConnectorHost) throws {}

    func testConnection() throws -> JSON { ["message": "ok"] }

    func push(_ records: [PushRecord]) throws -> [RecordResult] {
        records.map { record in
            guard !record.fields.isEmpty else { return .failed(record.key, .data("no fields")) }
            return .created(record.key, externalID: record.key)
        }
    }
}

@_cdecl("cc_plugin_entry") public func pluginEntry() -> UnsafeRawPointer { export(BenchmarkSinkConnector.self) }
