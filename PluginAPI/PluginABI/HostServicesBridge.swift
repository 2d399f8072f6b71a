import CCPluginAPI

/// Builds the C `cc_host_services` table for one plugin instance and routes each entry to a `HostServiceHandler`.
/// It also collects what the plugin emits during a call (records, per-record results), which the instance hands
/// back with the call's outcome. Used from one thread at a time, like the instance it serves.
public final class HostServicesBridge {
    public let handler: HostServiceHandler
    let table: UnsafeMutablePointer<cc_host_services>
    var results: [RecordResult] = []
    var records: [[UInt8]] = []
    /// Bytes of records emitted in this call, against `PluginInstance.outputLimit`.
    var recordBytes = 0
    /// A plugin that breaks the ABI's rules inside a call (e.g. a truncated result struct); reported by the call.
    var violation: String?

    public init(handler: HostServiceHandler) {
        self.handler = handler
        table = .allocate(capacity: 1)
        table.initialize(
            to: cc_host_services(
                struct_size: UInt32(MemoryLayout<cc_host_services>.size),
                abi_major: ManifestReader.hostABIMajor, abi_minor: ManifestReader.hostABIMinor, context: nil,
                log: Thunks.log, http_request: Thunks.http, emit_record: Thunks.emitRecord,
                emit_result: Thunks.emitResult, checkpoint_get: Thunks.checkpointGet,
                checkpoint_set: Thunks.checkpointSet, kv_get: Thunks.kvGet, kv_set: Thunks.kvSet,
                clock_ms: Thunks.clock))
        table.pointee.context = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        table.deinitialize(count: 1)
        table.deallocate()
    }

    func beginCall() {
        results.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
        recordBytes = 0
        violation = nil
    }

    fileprivate static func from(_ context: UnsafeMutableRawPointer?) -> HostServicesBridge {
        Unmanaged<HostServicesBridge>.fromOpaque(context!).takeUnretainedValue()
    }
}

/// The C entry points of the table. Each copies its borrowed inputs before returning, per the ownership rule.
private enum Thunks {
    static let log: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, Int) -> Void = {
        context, level, message, length in
        HostServicesBridge.from(context).handler.log(
            level: PluginLogLevel(code: level), message: string(message, length))
    }

    static let http:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<cc_http_request>?, UnsafeMutablePointer<cc_http_response>?
        ) -> cc_status = { context, request, response in
            let bridge = HostServicesBridge.from(context)
            guard let request, let response else { return PluginStatus.config.rawValue }
            guard request.pointee.struct_size >= UInt32(MemoryLayout<cc_http_request>.size),
                response.pointee.struct_size >= UInt32(MemoryLayout<cc_http_response>.size)
            else {
                bridge.violation = "http_request called with a cc_http_request or cc_http_response smaller than 1.0"
                return PluginStatus.config.rawValue
            }
            let raw = request.pointee
            var headers: [HTTPHeader] = []
            if let list = raw.headers {
                for index in 0..<raw.header_count {
                    guard let name = list[index].name, let value = list[index].value else { continue }
                    headers.append(HTTPHeader(String(cString: name), String(cString: value)))
                }
            }
            let body: [UInt8] = raw.body.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.body_length)) } ?? []
            let flags = raw.flags
            let result = bridge.handler.http(
                PluginHTTPRequest(
                    method: raw.method.map { String(cString: $0) } ?? "GET",
                    url: raw.url.map { String(cString: $0) } ?? "", headers: headers, body: body,
                    idempotencyKey: raw.idempotency_key.map { String(cString: $0) },
                    idempotent: flags & UInt32(CC_HTTP_IDEMPOTENT) != 0,
                    priority: flags & UInt32(CC_HTTP_PRIORITY) != 0, timeoutMilliseconds: raw.timeout_ms))
            response.pointee.status_code = Int32(result.statusCode)
            response.pointee.retry_after_ms = result.retryAfterMilliseconds
            if !result.headers.isEmpty {
                var lines = ""
                for header in result.headers { lines += "\(header.name): \(header.value)\n" }
                response.pointee.headers.write(lines)
            }
            if !result.body.isEmpty { response.pointee.body.write(result.body) }
            if let message = result.errorMessage { response.pointee.error.write(message) }
            return result.status.rawValue
        }

    static let emitRecord: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int) -> Void = {
        context, json, length in
        guard let json else { return }
        let bridge = HostServicesBridge.from(context)
        bridge.recordBytes += length
        guard bridge.recordBytes <= PluginInstance.outputLimit else {
            bridge.violation = bridge.violation ?? PluginInstance.outputLimitMessage("records")
            return
        }
        bridge.records.append(Array(UnsafeRawBufferPointer(start: json, count: length)))
    }

    static let emitResult: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<cc_record_result>?) -> Void = {
        context, result in
        let bridge = HostServicesBridge.from(context)
        guard let result, result.pointee.struct_size >= UInt32(MemoryLayout<cc_record_result>.size) else {
            bridge.violation = "emit_result called with a cc_record_result smaller than PluginAPI 1.0's"
            return
        }
        let raw = result.pointee
        guard let key = raw.record_key else {
            bridge.violation = "emit_result called without a record_key"
            return
        }
        bridge.results.append(
            RecordResult(
                key: String(cString: key), status: PluginStatus(code: raw.status),
                externalID: raw.external_id.map { String(cString: $0) }, action: raw.action.map { String(cString: $0) },
                message: raw.message.map { String(cString: $0) }, retryAfterMilliseconds: raw.retry_after_ms))
    }

    static let checkpointGet: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<cc_output>?) -> Void = {
        context, out in
        if let checkpoint = HostServicesBridge.from(context).handler.checkpoint() { out?.pointee.write(checkpoint) }
    }

    static let checkpointSet: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int) -> cc_status = {
        context, checkpoint, length in
        HostServicesBridge.from(context).handler.setCheckpoint(string(checkpoint, length)).rawValue
    }

    static let kvGet:
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<cc_output>?) -> Int32 = {
            context, key, out in
            guard let key, let value = HostServicesBridge.from(context).handler.value(forKey: String(cString: key))
            else { return 0 }
            out?.pointee.write(value)
            return 1
        }

    static let kvSet:
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int) -> cc_status = {
            context, key, value, length in
            guard let key else { return PluginStatus.data.rawValue }
            return HostServicesBridge.from(context).handler.setValue(
                value.map { string($0, length) }, forKey: String(cString: key)
            ).rawValue
        }

    static let clock: @convention(c) (UnsafeMutableRawPointer?) -> Int64 = { context in
        HostServicesBridge.from(context).handler.nowMilliseconds()
    }

    static func string(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
