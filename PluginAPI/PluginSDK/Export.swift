import CCPluginAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Turns a connector type into its PluginAPI manifest. Call it from the plugin's one exported function:
///
///     @_cdecl("cc_plugin_entry") public func pluginEntry() -> UnsafeRawPointer { export(MyConnector.self) }
///
/// The manifest is built once per type and lives as long as the plugin is loaded.
public func export<C: Connector>(_ connector: C.Type) -> UnsafeRawPointer {
    ExportedManifests.shared.manifest(for: connector)
}

/// The manifests this image exported, and which connector type each one creates. `create` receives the manifest
/// it was called through, so one set of C functions serves every connector type.
final class ExportedManifests: Sendable {
    static let shared = ExportedManifests()

    /// Manifest addresses are kept as integers; the manifests themselves are immutable once built.
    private struct State: @unchecked Sendable {
        var byType: [ObjectIdentifier: UInt] = [:]
        var types: [UInt: any Connector.Type] = [:]
    }

    private let state = Mutex(State())

    func manifest(for type: any Connector.Type) -> UnsafeRawPointer {
        let address = state.withLock { state -> UInt in
            if let existing = state.byType[ObjectIdentifier(type)] { return existing }
            let address = UInt(bitPattern: build(type))
            state.byType[ObjectIdentifier(type)] = address
            state.types[address] = type
            return address
        }
        return UnsafeRawPointer(bitPattern: address)!
    }

    func connectorType(for manifest: UnsafeRawPointer) -> (any Connector.Type)? {
        let address = UInt(bitPattern: manifest)
        return state.withLock { state in state.types[address].map(TypeBox.init) }?.type
    }

    private func build(_ type: any Connector.Type) -> UnsafeMutablePointer<cc_plugin_manifest> {
        let info = type.info
        var capabilities: PluginCapabilities = []
        if type is any PushConnector.Type { capabilities.insert(.push) }
        if type is any PullConnector.Type { capabilities.insert(.pull) }
        if type is any SchemaConnector.Type { capabilities.insert(.schema) }
        if type is any EventConnector.Type { capabilities.insert(.events) }
        let manifest = UnsafeMutablePointer<cc_plugin_manifest>.allocate(capacity: 1)
        // The strings are never freed: the manifest must outlive every caller, i.e. the loaded image.
        manifest.initialize(
            to: cc_plugin_manifest(
                magic: CC_PLUGIN_MAGIC, struct_size: UInt32(MemoryLayout<cc_plugin_manifest>.size),
                abi_major: UInt16(CC_ABI_MAJOR), abi_minor: UInt16(CC_ABI_MINOR), id: strdup(info.id),
                name: strdup(info.name), version: strdup(info.version), vendor: strdup(info.vendor),
                description: strdup(info.description), capabilities: capabilities.rawValue,
                flags: info.concurrentInstances ? PluginFlags.concurrentInstances.rawValue : 0,
                config_schema_json: strdup(info.configurationSchema.serialized()),
                default_mapping_json: strdup(info.defaultMapping.serialized()), create: Trampolines.create,
                destroy: Trampolines.destroy, test_connection: Trampolines.testConnection,
                describe_schema: capabilities.contains(.schema) ? Trampolines.schema : nil,
                push_batch: capabilities.contains(.push) ? Trampolines.push : nil,
                pull_page: capabilities.contains(.pull) ? Trampolines.pull : nil,
                handle_event: capabilities.contains(.events) ? Trampolines.event : nil))
        return manifest
    }
}

private struct TypeBox: @unchecked Sendable {
    let type: any Connector.Type
}

/// What `create` hands back as the opaque `cc_instance`.
private final class InstanceBox {
    let connector: any Connector
    let host: ConnectorHost
    let services: UnsafePointer<cc_host_services>

    init(connector: any Connector, host: ConnectorHost, services: UnsafePointer<cc_host_services>) {
        self.connector = connector
        self.host = host
        self.services = services
    }

    static func from(_ instance: OpaquePointer?) -> InstanceBox {
        Unmanaged<InstanceBox>.fromOpaque(UnsafeRawPointer(instance!)).takeUnretainedValue()
    }

    /// Runs an operation: its JSON result goes to `out` on success, a failure document otherwise.
    func run(_ out: UnsafePointer<cc_output>?, _ body: () throws -> JSON) -> cc_status {
        do {
            let result = try body()
            out?.pointee.write(result.serializedBytes())
            return PluginStatus.ok.rawValue
        } catch {
            let failure = Trampolines.failure(from: error)
            out?.pointee.write(failure.document.serializedBytes())
            return failure.status.rawValue
        }
    }
}

private enum Trampolines {
    static func failure(from error: any Error) -> PluginFailure {
        if let error = error as? ConnectorError { return error.failure }
        return PluginFailure(status: .internal, message: String(describing: error))
    }

    static func input(_ data: UnsafePointer<CChar>?, _ length: Int) throws -> JSON {
        guard let data, length > 0 else { return [:] }
        let bytes = UnsafeRawBufferPointer(start: data, count: length).bindMemory(to: UInt8.self)
        do {
            return try JSON.parse(bytes)
        } catch {
            throw ConnectorError.internal("the host sent input that is not JSON: \(error)")
        }
    }

    static let create:
        @convention(c) (
            UnsafePointer<cc_plugin_manifest>?, UnsafePointer<CChar>?, Int, UnsafePointer<cc_host_services>?,
            UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<cc_output>?
        ) -> cc_status = { manifest, config, length, services, instance, error in
            guard let manifest, let services, let instance,
                let type = ExportedManifests.shared.connectorType(for: UnsafeRawPointer(manifest))
            else {
                error?.pointee.write(
                    PluginFailure(
                        status: .internal, message: "create called with a manifest this plugin did not export"
                    ).document.serializedBytes())
                return PluginStatus.internal.rawValue
            }
            do {
                let configuration = try input(config, length)
                guard configuration.objectValue != nil else {
                    throw ConnectorError.config(
                        "the configuration must be a JSON object, got \(configuration.typeName)")
                }
                let host = ConnectorHost(services: services)
                let connector = try type.init(configuration: Configuration(configuration), host: host)
                let box = InstanceBox(connector: connector, host: host, services: services)
                instance.pointee = OpaquePointer(Unmanaged.passRetained(box).toOpaque())
                return PluginStatus.ok.rawValue
            } catch let caught {
                let failure = failure(from: caught)
                error?.pointee.write(failure.document.serializedBytes())
                return failure.status.rawValue
            }
        }

    static let destroy: @convention(c) (OpaquePointer?) -> Void = { instance in
        guard let instance else { return }
        Unmanaged<InstanceBox>.fromOpaque(UnsafeRawPointer(instance)).release()
    }

    static let testConnection: @convention(c) (OpaquePointer?, UnsafePointer<cc_output>?) -> cc_status = {
        instance, out in
        let box = InstanceBox.from(instance)
        return box.run(out) { try box.connector.testConnection() }
    }

    static let schema: @convention(c) (OpaquePointer?, UnsafePointer<cc_output>?) -> cc_status = { instance, out in
        let box = InstanceBox.from(instance)
        return box.run(out) { try (box.connector as! any SchemaConnector).schema().json }
    }

    static let push:
        @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, UnsafePointer<cc_output>?) -> cc_status = {
            instance, data, length, out in
            let box = InstanceBox.from(instance)
            return box.run(out) {
                let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length)
                let records = try PushRecord.batch(bytes.bindMemory(to: UInt8.self))
                let results = try (box.connector as! any PushConnector).push(records)
                return emit(results, for: records, box: box)
            }
        }

    /// Emits exactly one result per input record, whatever the connector returned, so the host never has to
    /// guess about a record the connector forgot.
    private static func emit(_ results: [RecordResult], for records: [PushRecord], box: InstanceBox) -> JSON {
        let failed: Int
        // Most connectors answer record for record, in order: then nothing needs looking up by key.
        if results.count == records.count, zip(results, records).allSatisfy({ $0.key == $1.key }) {
            results.forEach { emitResult($0, services: box.services) }
            failed = results.count { $0.status != .ok }
        } else {
            failed = emitByKey(results, for: records, box: box)
        }
        return ["received": .integer(Int64(records.count)), "failed": .integer(Int64(failed))]
    }

    /// Emits the results of a connector that answered out of order, left records out or named unknown ones; returns
    /// how many records failed.
    private static func emitByKey(_ results: [RecordResult], for records: [PushRecord], box: InstanceBox) -> Int {
        var byKey: [String: RecordResult] = [:]
        for result in results where byKey[result.key] == nil { byKey[result.key] = result }
        var failed = 0
        for record in records {
            let result =
                byKey[record.key]
                ?? .failed(record.key, .internal("the connector returned no result for this record"))
            if result.status != .ok { failed += 1 }
            emitResult(result, services: box.services)
        }
        let unknown = Set(byKey.keys).subtracting(records.map(\.key))
        if !unknown.isEmpty {
            box.host.log(.warning, "the connector returned results for \(unknown.count) unknown record keys; ignored")
        }
        return failed
    }

    private static func emitResult(_ result: RecordResult, services: UnsafePointer<cc_host_services>) {
        func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
            guard let text else { return body(nil) }
            return text.withCString { body($0) }
        }
        result.key.withCString { key in
            withOptionalCString(result.externalID) { externalID in
                withOptionalCString(result.action) { action in
                    withOptionalCString(result.message) { message in
                        var raw = cc_record_result(
                            struct_size: UInt32(MemoryLayout<cc_record_result>.size), status: result.status.rawValue,
                            record_key: key, external_id: externalID, action: action, message: message,
                            retry_after_ms: result.retryAfterMilliseconds)
                        services.pointee.emit_result(services.pointee.context, &raw)
                    }
                }
            }
        }
    }

    static let pull:
        @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, UnsafePointer<cc_output>?) -> cc_status = {
            instance, data, length, out in
            let box = InstanceBox.from(instance)
            return box.run(out) {
                let request = try input(data, length)
                let page = try (box.connector as! any PullConnector).pull(
                    PullRequest(
                        checkpoint: request["checkpoint"]?.stringValue,
                        pageSize: request["page_size"]?.intValue ?? 100))
                for record in page.records {
                    let bytes = record.serializedBytes()
                    bytes.withUnsafeBufferPointer { buffer in
                        buffer.withMemoryRebound(to: CChar.self) {
                            box.services.pointee.emit_record(box.services.pointee.context, $0.baseAddress, $0.count)
                        }
                    }
                }
                return ["checkpoint": JSON(page.checkpoint), "has_more": .bool(page.hasMore)]
            }
        }

    static let event:
        @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, UnsafePointer<cc_output>?) -> cc_status = {
            instance, data, length, out in
            let box = InstanceBox.from(instance)
            return box.run(out) {
                let event = try input(data, length)
                guard let type = event["type"]?.stringValue else {
                    throw ConnectorError.data("the event has no `type`")
                }
                try (box.connector as! any EventConnector).handle(ConnectorEvent(type: type, payload: event))
                return [:]
            }
        }
}
