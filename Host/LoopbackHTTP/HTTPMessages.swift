import Foundation

/// A request as the server received it.
public struct HTTPServerRequest: Sendable {
    public let method: String
    /// The path without the query: `/api/now/table/cmdb_ci_server`.
    public let path: String
    /// The raw query string, without `?`.
    public let query: String
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    public let receivedAt: Date

    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// Query parameters, percent-decoded (`+` as space, as forms send it).
    public var queryItems: [String: String] {
        Self.decodeForm(query)
    }

    /// The body as form fields (`application/x-www-form-urlencoded`).
    public var formFields: [String: String] { Self.decodeForm(String(decoding: body, as: UTF8.self)) }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    static func decodeForm(_ text: String) -> [String: String] {
        var items: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            items[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return items
    }
}

/// A response to send; `delay` holds it back (simulated latency), `closeConnection` drops keep-alive.
public struct HTTPServerResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var delay: TimeInterval?
    public var closeConnection = false

    public init(
        status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], delay: TimeInterval? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }

    public init(status: Int, json: String, headers: [(name: String, value: String)] = []) {
        self.init(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
    }

    func serialized(keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers where name.lowercased() != "content-length" { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }
}

/// Reads HTTP/1.1 requests off one connection (Content-Length and chunked bodies).
final class ConnectionReader {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    static let maximumBody = 64 << 20

    init(descriptor: Int32) { self.descriptor = descriptor }

    func nextRequest() -> HTTPServerRequest? {
        guard let headEnd = readUntil([13, 10, 13, 10]) else { return nil }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        let target = String(requestLine[1])
        let (path, query) =
            target.firstIndex(of: "?").map {
                (String(target[..<$0]), String(target[target.index(after: $0)...]))
            } ?? (target, "")
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        var body: [UInt8] = []
        if header("transfer-encoding")?.lowercased().contains("chunked") == true {
            guard let chunked = readChunked() else { return nil }
            body = chunked
        } else if let length = header("content-length").flatMap(Int.init), length > 0 {
            guard length <= Self.maximumBody, fill(length) else { return nil }
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        }
        return HTTPServerRequest(
            method: String(requestLine[0]), path: path.removingPercentEncoding ?? path, query: query, headers: headers,
            body: body, receivedAt: Date())
    }

    private func readChunked() -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            guard let lineEnd = readUntil([13, 10]) else { return nil }
            let sizeText = String(decoding: buffer[0..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            buffer.removeFirst(lineEnd + 2)
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            if size == 0 {
                _ = readUntil([13, 10]).map { buffer.removeFirst($0 + 2) }
                return body
            }
            guard body.count + size <= Self.maximumBody, fill(size + 2) else { return nil }
            body += buffer[0..<size]
            buffer.removeFirst(size + 2)
        }
    }

    private func readUntil(_ marker: [UInt8]) -> Int? {
        var searchFrom = 0
        while true {
            if buffer.count >= marker.count {
                for index in searchFrom...(buffer.count - marker.count)
                where buffer[index] == marker[0] && Array(buffer[index..<index + marker.count]) == marker {
                    return index
                }
                searchFrom = buffer.count - marker.count + 1
            }
            guard buffer.count < 1 << 20, receive() else { return nil }
        }
    }

    private func fill(_ count: Int) -> Bool {
        while buffer.count < count { guard receive() else { return false } }
        return true
    }

    private func receive() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer += chunk[0..<count]
            return true
        }
    }

    static func write(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(descriptor, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }
}
