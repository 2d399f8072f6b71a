import PluginABI

/// How the values that cross the worker channel are laid out in frames. Each encoder has its decoder next to it.
extension FrameWriter {
    mutating func outcome(_ outcome: CallOutcome) {
        i32(outcome.status.rawValue)
        data(outcome.output)
        u32(UInt32(outcome.results.count))
        for result in outcome.results {
            string(result.key)
            i32(result.status.rawValue)
            optionalString(result.externalID)
            optionalString(result.action)
            optionalString(result.message)
            u32(result.retryAfterMilliseconds)
        }
        u32(UInt32(outcome.records.count))
        for record in outcome.records { data(record) }
    }

    mutating func httpRequest(_ request: PluginHTTPRequest) {
        string(request.method)
        string(request.url)
        headers(request.headers)
        data(request.body)
        optionalString(request.idempotencyKey)
        u8((request.idempotent ? 1 : 0) | (request.priority ? 2 : 0))
        u32(request.timeoutMilliseconds)
    }

    mutating func httpResult(_ result: PluginHTTPResult) {
        i32(result.status.rawValue)
        u32(UInt32(clamping: result.statusCode))
        headers(result.headers)
        data(result.body)
        u32(result.retryAfterMilliseconds)
        optionalString(result.errorMessage)
    }

    private mutating func headers(_ headers: [HTTPHeader]) {
        u32(UInt32(headers.count))
        for header in headers {
            string(header.name)
            string(header.value)
        }
    }
}

extension FrameReader {
    mutating func outcome() throws(Malformed) -> CallOutcome {
        let status = PluginStatus(code: try i32())
        let output = try data()
        let resultCount = Int(try u32())
        var results: [RecordResult] = []
        results.reserveCapacity(min(resultCount, 1 << 20))
        for _ in 0..<resultCount {
            results.append(
                RecordResult(
                    key: try string(), status: PluginStatus(code: try i32()), externalID: try optionalString(),
                    action: try optionalString(), message: try optionalString(),
                    retryAfterMilliseconds: try u32()))
        }
        let recordCount = Int(try u32())
        var records: [[UInt8]] = []
        records.reserveCapacity(min(recordCount, 1 << 20))
        for _ in 0..<recordCount { records.append(try data()) }
        return CallOutcome(status: status, output: output, results: results, records: records)
    }

    mutating func httpRequest() throws(Malformed) -> PluginHTTPRequest {
        let method = try string()
        let url = try string()
        let headers = try headers()
        let body = try data()
        let key = try optionalString()
        let flags = try u8()
        return PluginHTTPRequest(
            method: method, url: url, headers: headers, body: body, idempotencyKey: key,
            idempotent: flags & 1 != 0, priority: flags & 2 != 0, timeoutMilliseconds: try u32())
    }

    mutating func httpResult() throws(Malformed) -> PluginHTTPResult {
        PluginHTTPResult(
            status: PluginStatus(code: try i32()), statusCode: Int(try u32()), headers: try headers(),
            body: try data(), retryAfterMilliseconds: try u32(), errorMessage: try optionalString())
    }

    private mutating func headers() throws(Malformed) -> [HTTPHeader] {
        let count = Int(try u32())
        var headers: [HTTPHeader] = []
        for _ in 0..<count { headers.append(HTTPHeader(try string(), try string())) }
        return headers
    }
}
