import CCurl
import Foundation
import PluginABI
import PluginRuntime

/// A request as the transport sends it: absolute URL, every header final (authentication included).
public struct TransportRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var timeout: Duration
    /// Asked about once a second while the request is out: true ends it at once (its caller was given up on).
    public var cancelled: (@Sendable () -> Bool)?

    public init(
        method: String, url: String, headers: [HTTPHeader] = [], body: [UInt8] = [], timeout: Duration,
        cancelled: (@Sendable () -> Bool)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.cancelled = cancelled
    }
}

public struct TransportResponse: Sendable {
    public var statusCode: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var bytesSent: Int
    public var bytesReceived: Int
}

public struct TransportFailure: Error, Sendable, CustomStringConvertible {
    public let kind: FailureClass
    public let message: String
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// The host's one HTTP client, over libcurl. One client per integration: it keeps a few easy handles, and with them
/// their open connections and TLS sessions, for reuse across that integration's calls. Redirects are off and
/// certificate verification is on unless the integration's settings say otherwise.
public final class CurlClient: @unchecked Sendable {
    /// Bodies larger than this are refused rather than buffered.
    public static let maximumResponseBytes = 256 << 20

    private let settings: HTTPSettings
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []

    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    public init(settings: HTTPSettings) {
        _ = Self.initialised
        self.settings = settings
    }

    deinit { idle.forEach { curl_easy_cleanup($0) } }

    public func perform(_ request: TransportRequest) -> Result<TransportResponse, TransportFailure> {
        guard let handle = lock.withLock({ idle.popLast() }) ?? curl_easy_init() else {
            return .failure(TransportFailure(kind: .connection, message: "libcurl could not create a handle"))
        }
        let result = run(request, on: handle)
        lock.withLock { idle.append(handle) }
        return result
    }

    private func run(_ request: TransportRequest, on handle: UnsafeMutableRawPointer)
        -> Result<TransportResponse, TransportFailure>
    {
        let collector = ResponseCollector(cancelled: request.cancelled)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer {
            // The handle keeps pointers to the buffers, header list and collector until it is reset: reset it
            // before they go, so nothing libcurl does later (closing a cached connection) can touch freed memory.
            curl_easy_reset(handle)
            errorBuffer.deallocate()
            curl_slist_free_all(headerList)
        }
        for header in request.headers { headerList = curl_slist_append(headerList, "\(header.name): \(header.value)") }
        headerList = curl_slist_append(headerList, "Expect:")  // no 100-continue round trip for bodies

        _ = cc_curl_set_string(handle, CURLOPT_URL, request.url)
        _ = cc_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = cc_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = cc_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headerList)
        _ = cc_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(settings.connectTimeout))
        _ = cc_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
        // Never libcurl's to follow: `IntegrationHTTP` follows them itself, within the allowed origins.
        _ = cc_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = cc_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        configureTLS(handle)
        if let proxy = settings.proxy { _ = cc_curl_set_string(handle, CURLOPT_PROXY, proxy) }

        switch request.method.uppercased() {
        case "GET": _ = cc_curl_set_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = cc_curl_set_long(handle, CURLOPT_NOBODY, 1)
        default:
            _ = cc_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method.uppercased())
        }
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = cc_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, ResponseCollector.writeBody)
        _ = cc_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = cc_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, ResponseCollector.writeHeader)
        _ = cc_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
        if request.cancelled != nil { _ = cc_curl_set_progress(handle, ResponseCollector.progress, context) }

        let code: CURLcode = request.body.withUnsafeBytes { body in
            if !body.isEmpty || !["GET", "HEAD"].contains(request.method.uppercased()) {
                _ = cc_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                _ = cc_curl_set_pointer(
                    handle, CURLOPT_POSTFIELDS,
                    UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafeRawPointer(errorBuffer)))
            }
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            if collector.overflowed {
                return .failure(TransportFailure(kind: .server, message: "the response is larger than 256 MB"))
            }
            if code == CURLE_ABORTED_BY_CALLBACK {
                return .failure(
                    TransportFailure(
                        kind: .connection, message: "the request was ended: the host gave up waiting for it"))
            }
            return .failure(TransportFailure(kind: Self.classify(code), message: message))
        }
        var status = 0
        var sent: curl_off_t = 0
        var received: curl_off_t = 0
        _ = cc_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        _ = cc_curl_get_off(handle, CURLINFO_SIZE_UPLOAD_T, &sent)
        _ = cc_curl_get_off(handle, CURLINFO_SIZE_DOWNLOAD_T, &received)
        return .success(
            TransportResponse(
                statusCode: status, headers: collector.headers, body: collector.body, bytesSent: Int(sent),
                bytesReceived: Int(received)))
    }

    private func configureTLS(_ handle: UnsafeMutableRawPointer) {
        let tls = settings.tls
        _ = cc_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1 : 0)
        _ = cc_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2 : 0)
        if let file = tls.caFile { _ = cc_curl_set_string(handle, CURLOPT_CAINFO, file) }
        if let pem = tls.caPEM { Self.setBlob(handle, CURLOPT_CAINFO_BLOB, pem) }
        if let certificate = tls.clientCertificatePEM, let key = tls.clientKeyPEM {
            Self.setBlob(handle, CURLOPT_SSLCERT_BLOB, certificate)
            _ = cc_curl_set_string(handle, CURLOPT_SSLCERTTYPE, "PEM")
            Self.setBlob(handle, CURLOPT_SSLKEY_BLOB, key)
            _ = cc_curl_set_string(handle, CURLOPT_SSLKEYTYPE, "PEM")
            // Always set: without one, OpenSSL asks a terminal for the passphrase of an encrypted key, and crashed.
            _ = cc_curl_set_string(handle, CURLOPT_KEYPASSWD, tls.clientKeyPassphrase ?? "")
        }
    }

    private static func setBlob(_ handle: UnsafeMutableRawPointer, _ option: CURLoption, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = cc_curl_set_blob(handle, option, $0.baseAddress, $0.count) }  // copied
    }

    private static func milliseconds(_ duration: Duration) -> Int { max(1, Int(duration.wholeMilliseconds)) }

    static func classify(_ code: CURLcode) -> FailureClass {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT: return .config
        default: return .connection
        }
    }
}

/// Collects a response's headers and body from libcurl's callbacks.
private final class ResponseCollector {
    var headers: [HTTPHeader] = []
    var body: [UInt8] = []
    var overflowed = false
    let cancelled: (@Sendable () -> Bool)?

    init(cancelled: (@Sendable () -> Bool)?) { self.cancelled = cancelled }

    static let progress: cc_curl_progress_callback = { context, _, _, _, _ in
        let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
        return collector.cancelled?() == true ? 1 : 0  // non-zero makes libcurl abort the transfer
    }

    static let writeBody: cc_curl_data_callback = { data, size, count, context in
        let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard collector.body.count + length <= CurlClient.maximumResponseBytes else {
            collector.overflowed = true
            return 0  // makes libcurl abort the transfer
        }
        if let data { collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
        return length
    }

    static let writeHeader: cc_curl_data_callback = { data, size, count, context in
        let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard let data else { return length }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            collector.headers.removeAll()  // a new response (after a redirect or an interim 1xx)
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            collector.headers.append(HTTPHeader(name, value))
        }
        return length
    }
}
