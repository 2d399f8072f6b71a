import Foundation
import LoopbackHTTP

/// A loopback HTTP server that records every request it answers; `respond` decides each answer and can see how
/// many requests came before.
public final class RecordingServer: @unchecked Sendable {
    public let server: HTTPServer
    private let lock = NSLock()
    private var received: [HTTPServerRequest] = []

    public init(_ respond: @escaping @Sendable (_ request: HTTPServerRequest, _ index: Int) -> HTTPServerResponse)
        throws
    {
        let box = Box()
        server = try HTTPServer { request in
            let index = box.record(request)
            return respond(request, index)
        }
        box.owner = self
    }

    public var baseURL: String { server.baseURL }
    public var requests: [HTTPServerRequest] { lock.withLock { received } }
    public func requests(to path: String) -> [HTTPServerRequest] { requests.filter { $0.path == path } }

    fileprivate func append(_ request: HTTPServerRequest) -> Int {
        lock.withLock {
            received.append(request)
            return received.count - 1
        }
    }

    private final class Box: @unchecked Sendable {
        weak var owner: RecordingServer?
        func record(_ request: HTTPServerRequest) -> Int { owner?.append(request) ?? 0 }
    }

    deinit { server.stop() }
}
