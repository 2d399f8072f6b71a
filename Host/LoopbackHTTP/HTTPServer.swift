import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 with a thread per connection and keep-alive: what the sandbox simulators
/// and the tests serve from. Blocking by design, so it never competes with Swift concurrency's small thread pool
/// for the blocking libcurl calls made against it.
public final class HTTPServer: @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPServerRequest) -> HTTPServerResponse

    public let port: Int
    private let listener: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var connections: Set<Int32> = []
    private var stopped = false
    private var accepted = 0

    /// Listens on 127.0.0.1:`port` (0 picks a free port) and serves until `stop()`.
    public init(port: Int = 0, handler: @escaping Handler) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw ServerError("bind 127.0.0.1:\(port)", code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [weak self] in self?.acceptLoop() }
        thread.name = "http-accept-\(self.port)"
        thread.start()
    }

    deinit { stop() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Connections accepted so far (clients that reuse connections open few).
    public var acceptedConnections: Int { lock.withLock { accepted } }

    /// Stops listening and closes every open connection.
    public func stop() {
        let open: Set<Int32> = lock.withLock {
            guard !stopped else { return [] }
            stopped = true
            return connections
        }
        // Only shut down: the threads that own these descriptors close them, so a number is never reused while
        // a thread may still call accept or recv on it.
        shutdown(listener, Int32(SHUT_RDWR))
        open.forEach { shutdown($0, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // children are spawned with closefrom anyway
            let admitted = lock.withLock { () -> Bool in
                guard !stopped else { return false }
                connections.insert(client)
                accepted += 1
                return true
            }
            guard admitted else {
                close(client)
                return
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread { [weak self] in
                self?.serve(client)
                close(client)
            }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { _ = lock.withLock { connections.remove(client) } }
        let reader = ConnectionReader(descriptor: client)
        while let request = reader.nextRequest() {
            let response = handler(request)
            if let delay = response.delay { Thread.sleep(forTimeInterval: delay) }
            let keepAlive = request.header("Connection")?.lowercased() != "close" && !response.closeConnection
            guard ConnectionReader.write(client, response.serialized(keepAlive: keepAlive)), keepAlive else { return }
        }
    }

    public struct ServerError: Error, CustomStringConvertible {
        public let description: String
        init(_ operation: String, _ code: Int32) { description = "\(operation): \(String(cString: strerror(code)))" }
    }
}
