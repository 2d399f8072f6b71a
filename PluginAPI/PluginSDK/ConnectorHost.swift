import CCPluginAPI

#if canImport(Glibc)
    import Glibc
#endif

/// What the host offers a connector: logging, HTTP (the host authenticates, rate-limits and retries), state that
/// survives restarts, and a clock. Valid for the lifetime of the connector instance.
public final class ConnectorHost: @unchecked Sendable {
    private let services: UnsafePointer<cc_host_services>

    init(services: UnsafePointer<cc_host_services>) { self.services = services }

    private var context: UnsafeMutableRawPointer? { services.pointee.context }

    public func log(_ level: PluginLogLevel, _ message: String) {
        var text = message
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                services.pointee.log(context, level.rawValue, $0.baseAddress, $0.count)
            }
        }
    }

    /// Sends a request through the host. A response with any status code returns normally (see
    /// `HTTPResponse.failure`); a transport failure throws with the host's classification.
    public func send(_ request: HTTPRequest) throws(ConnectorError) -> HTTPResponse {
        let headersOut = OutputBuffer()
        let bodyOut = OutputBuffer()
        let errorOut = OutputBuffer()
        var response = cc_http_response(
            struct_size: UInt32(MemoryLayout<cc_http_response>.size), status_code: 0, retry_after_ms: 0,
            headers: headersOut.output, body: bodyOut.output, error: errorOut.output)
        let strings = CStrings(
            [request.method, request.url, request.idempotencyKey ?? ""]
                + request.headers.flatMap { [$0.name, $0.value] })
        defer { strings.free() }
        var headers = (0..<request.headers.count).map { index in
            cc_http_header(name: strings[3 + 2 * index], value: strings[4 + 2 * index])
        }
        var flags: UInt32 = 0
        if request.idempotent { flags |= UInt32(CC_HTTP_IDEMPOTENT) }
        if request.priority { flags |= UInt32(CC_HTTP_PRIORITY) }
        let status = headers.withUnsafeMutableBufferPointer { headerList in
            request.body.withUnsafeBufferPointer { body in
                body.withMemoryRebound(to: CChar.self) { bodyChars in
                    var raw = cc_http_request(
                        struct_size: UInt32(MemoryLayout<cc_http_request>.size), flags: flags,
                        method: strings[0], url: strings[1], headers: UnsafePointer(headerList.baseAddress),
                        header_count: headerList.count, body: bodyChars.baseAddress, body_length: bodyChars.count,
                        idempotency_key: request.idempotencyKey == nil ? nil : strings[2],
                        timeout_ms: request.timeoutMilliseconds)
                    return services.pointee.http_request(context, &raw, &response)
                }
            }
        }
        let outcome = PluginStatus(code: status)
        guard outcome == .ok else {
            let message = errorOut.bytes.isEmpty ? "HTTP request failed" : errorOut.string
            throw ConnectorError(outcome, message, retryAfterMilliseconds: response.retry_after_ms)
        }
        return HTTPResponse(
            statusCode: Int(response.status_code), headers: HTTPResponse.parseHeaders(headersOut.string),
            body: bodyOut.bytes, retryAfterMilliseconds: response.retry_after_ms)
    }

    /// The integration's checkpoint: an opaque string whose meaning the connector owns.
    public var checkpoint: String? {
        let out = OutputBuffer()
        out.withOutput { services.pointee.checkpoint_get(context, $0) }
        return out.bytes.isEmpty ? nil : out.string
    }

    public func setCheckpoint(_ checkpoint: String) throws(ConnectorError) {
        var text = checkpoint
        let status = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                services.pointee.checkpoint_set(context, $0.baseAddress, $0.count)
            }
        }
        if status != PluginStatus.ok.rawValue {
            throw ConnectorError(PluginStatus(code: status), "the host could not store the checkpoint")
        }
    }

    /// Small state scoped to the integration (e.g. a cached site id). Keys beginning with `__` are the host's.
    public func value(forKey key: String) -> String? {
        let out = OutputBuffer()
        let found = out.withOutput { out in key.withCString { services.pointee.kv_get(context, $0, out) } }
        return found == 1 ? out.string : nil
    }

    public func setValue(_ value: String?, forKey key: String) throws(ConnectorError) {
        let status: Int32 = key.withCString { keyPointer in
            guard var text = value else { return services.pointee.kv_set(context, keyPointer, nil, 0) }
            return text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) {
                    // A non-NULL pointer even for "", so an empty value is stored rather than deleted.
                    services.pointee.kv_set(context, keyPointer, $0.baseAddress ?? keyPointer, $0.count)
                }
            }
        }
        if status != PluginStatus.ok.rawValue {
            throw ConnectorError(PluginStatus(code: status), "the host could not store the value for `\(key)`")
        }
    }

    /// Milliseconds since the Unix epoch, from the host's clock.
    public var nowMilliseconds: Int64 { services.pointee.clock_ms(context) }
}

/// NUL-terminated copies of strings that must stay put while C reads them.
private struct CStrings {
    private let pointers: [UnsafeMutablePointer<CChar>]

    init(_ strings: [String]) { pointers = strings.map { strdup($0)! } }

    subscript(index: Int) -> UnsafePointer<CChar> { UnsafePointer(pointers[index]) }

    func free() { pointers.forEach { Glibc.free($0) } }
}
