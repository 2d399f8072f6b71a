import CCPluginAPI
import JSONCore

/// One instance of a plugin, created through its manifest's `create` and called through its function table. This
/// is the only code that calls into a plugin: the in-process runtime, the worker process and the SDK's test
/// harness all go through it. Call it from one thread at a time.
public final class PluginInstance {
    private let manifest: UnsafePointer<cc_plugin_manifest>
    private let handle: OpaquePointer
    private let bridge: HostServicesBridge

    /// `manifest` must have passed `ManifestReader.read`; `configuration` is a JSON object without secrets.
    public init(manifest pointer: UnsafeRawPointer, configuration: [UInt8], handler: HostServiceHandler)
        throws(PluginFailure)
    {
        let manifest = pointer.assumingMemoryBound(to: cc_plugin_manifest.self)
        let bridge = HostServicesBridge(handler: handler)
        let error = OutputBuffer()
        var created: OpaquePointer?
        let status = configuration.withUnsafeBufferPointer { config in
            error.withOutput { out in
                config.withMemoryRebound(to: CChar.self) { chars in
                    manifest.pointee.create!(manifest, chars.baseAddress, chars.count, bridge.table, &created, out)
                }
            }
        }
        guard status == PluginStatus.ok.rawValue else {
            throw PluginFailure(status: PluginStatus(code: status), output: error.bytes)
        }
        guard let created else {
            throw PluginFailure(status: .internal, message: "create returned CC_OK without an instance")
        }
        self.manifest = manifest
        self.bridge = bridge
        handle = created
    }

    deinit { manifest.pointee.destroy!(handle) }

    public var capabilities: PluginCapabilities { PluginCapabilities(rawValue: manifest.pointee.capabilities) }

    /// The most bytes a call may write as its output, and as its records: past it the call fails, naming the limit,
    /// instead of the worker growing until its memory cap aborts it (and the host holding as much again).
    public static let outputLimit = 64 << 20

    static func outputLimitMessage(_ what: String) -> String {
        "the plugin wrote more than \(outputLimit >> 20) MB of \(what) in one call (the limit); page what it returns"
    }

    /// Calls one operation. The outcome carries the plugin's status and output, plus everything it emitted.
    public func call(_ operation: PluginOperation, input: [UInt8] = []) -> CallOutcome {
        input.withUnsafeBytes { call(operation, input: $0) }
    }

    /// Calls one operation with input borrowed for the duration of the call.
    public func call(_ operation: PluginOperation, input: UnsafeRawBufferPointer) -> CallOutcome {
        if let needed = operation.capability, !capabilities.contains(needed) {
            return unsupported(operation)
        }
        let raw = manifest.pointee
        let output = OutputBuffer(limit: Self.outputLimit)
        bridge.beginCall()
        let status: Int32 = output.withOutput { out in
            let data = input.baseAddress?.assumingMemoryBound(to: CChar.self)
            let count = input.count
            // ManifestReader guaranteed each declared capability's function is present.
            switch operation {
            case .test: return raw.test_connection!(handle, out)
            case .schema: return raw.describe_schema!(handle, out)
            case .push: return raw.push_batch!(handle, data, count, out)
            case .pull: return raw.pull_page!(handle, data, count, out)
            case .event: return raw.handle_event!(handle, data, count, out)
            }
        }
        if output.overflowed, bridge.violation == nil { bridge.violation = Self.outputLimitMessage("output") }
        if let violation = bridge.violation {
            return CallOutcome(
                status: .internal,
                output: PluginFailure(status: .internal, message: violation).document.serializedBytes())
        }
        return CallOutcome(
            status: PluginStatus(code: status), output: output.bytes, results: bridge.results, records: bridge.records)
    }

    private func unsupported(_ operation: PluginOperation) -> CallOutcome {
        let failure = PluginFailure(
            status: .unsupported, message: "the plugin does not declare the \(operation.rawValue) capability")
        return CallOutcome(status: .unsupported, output: failure.document.serializedBytes())
    }
}
