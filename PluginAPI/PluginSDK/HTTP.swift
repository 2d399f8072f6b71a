/// A request a connector asks the host to send. `url` is usually a path joined to the configured base URL.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var idempotencyKey: String?
    /// Safe to repeat although the method is not idempotent (an upsert by correlation id, say).
    public var idempotent: Bool
    public var priority: Bool
    public var timeoutMilliseconds: UInt32

    public init(
        method: String, url: String, headers: [HTTPHeader] = [], body: [UInt8] = [], idempotencyKey: String? = nil,
        idempotent: Bool = false, priority: Bool = false, timeoutMilliseconds: UInt32 = 0
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.idempotencyKey = idempotencyKey
        self.idempotent = idempotent
        self.priority = priority
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    public static func get(_ url: String, headers: [HTTPHeader] = []) -> HTTPRequest {
        HTTPRequest(method: "GET", url: url, headers: [HTTPHeader("Accept", "application/json")] + headers)
    }

    /// A form-encoded request (`application/x-www-form-urlencoded`), fields in the order given.
    public static func form(
        _ method: String, _ url: String, _ fields: [(name: String, value: String)], idempotent: Bool = false
    ) -> HTTPRequest {
        let body = fields.map { "\(PercentEncoding.encode($0.name))=\(PercentEncoding.encode($0.value))" }
        return HTTPRequest(
            method: method, url: url,
            headers: [
                HTTPHeader("Accept", "application/json"),
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body: Array(body.joined(separator: "&").utf8), idempotent: idempotent)
    }

    /// A request with a JSON body and the headers JSON APIs insist on.
    public static func json(_ method: String, _ url: String, _ body: JSON, idempotent: Bool = false) -> HTTPRequest {
        json(method, url, body: body.serializedBytes(), idempotent: idempotent)
    }

    /// A request with a JSON body already written (by a `JSONWriter`), and the headers JSON APIs insist on.
    public static func json(_ method: String, _ url: String, body: [UInt8], idempotent: Bool = false) -> HTTPRequest {
        HTTPRequest(
            method: method, url: url,
            headers: [HTTPHeader("Accept", "application/json"), HTTPHeader("Content-Type", "application/json")],
            body: body, idempotent: idempotent)
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var statusCode: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var retryAfterMilliseconds: UInt32

    public init(statusCode: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], retryAfterMilliseconds: UInt32 = 0) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    public func header(_ name: String) -> String? { headers.value(for: name) }

    public var isSuccess: Bool { (200..<300).contains(statusCode) }

    /// The body as JSON; a body that is not JSON is a data error naming where it came from.
    public func json(_ what: @autoclosure () -> String = "response") throws(ConnectorError) -> JSON {
        do {
            return try JSON.parse(body)
        } catch {
            // The target's fault (a proxy's error page, a cut-off body), not the record's: tried again.
            throw .server("\(what()) (HTTP \(statusCode)) is not valid JSON: \(error)")
        }
    }

    /// The standard classification of a non-2xx answer; nil for success. Connectors refine it with the vendor's
    /// error body where they can.
    public func failure(_ message: String) -> ConnectorError? {
        switch statusCode {
        case 200..<300: return nil
        case 300..<400:
            // Not an outage to retry: base_url leads elsewhere (a moved API, a proxy's or single sign-on page).
            let location = header("Location").map { " to \($0)" } ?? ""
            return .config(
                "\(message) (HTTP \(statusCode), redirected\(location)): fix base_url, or set follow_redirects if the "
                    + "API moved")
        case 401, 403: return .auth("\(message) (HTTP \(statusCode))")
        case 404: return .notFound("\(message) (HTTP \(statusCode))")
        case 408: return ConnectorError(.timeout, "\(message) (HTTP 408)")
        case 409: return .conflict("\(message) (HTTP 409)")
        case 429: return .rateLimited("\(message) (HTTP 429)", retryAfterMilliseconds: retryAfterMilliseconds)
        case 400..<500: return .data("\(message) (HTTP \(statusCode))")
        default:
            return ConnectorError(
                .server, "\(message) (HTTP \(statusCode))", retryAfterMilliseconds: retryAfterMilliseconds)
        }
    }

    static func parseHeaders(_ text: String) -> [HTTPHeader] {
        text.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: " ")
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \r")
            return HTTPHeader(name, value)
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

/// Percent-encoding of query and form values: everything but RFC 3986's unreserved characters is escaped.
public enum PercentEncoding {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    private static let hex = Array("0123456789ABCDEF".utf8)

    public static func encode(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if unreserved.contains(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
