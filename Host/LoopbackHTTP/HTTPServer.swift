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
    private let handler: Handler
    private let descriptors: Descriptors
    private let servingLock = NSLock()
    private var servingSeconds: Double = 0

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
        descriptors = Descriptors(listener: fd)
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [weak self, descriptors] in
            self?.acceptLoop()
            descriptors.closeListener()
        }
        thread.name = "http-accept-\(self.port)"
        thread.start()
    }

    deinit { stop() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Connections accepted so far (clients that reuse connections open few).
    public var acceptedConnections: Int { descriptors.accepted }

    /// The CPU time the connections' threads have spent reading requests, answering and writing the answers: what
    /// serving cost, apart from whatever else runs in the process (benchmarks set a target's cost apart with it).
    public var servingCPUSeconds: Double { servingLock.withLock { servingSeconds } }

    /// Stops listening and closes every open connection.
    public func stop() { descriptors.shutdownAll() }

    private func acceptLoop() {
        while true {
            let client = accept(descriptors.listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // children are spawned with closefrom anyway
            guard descriptors.admit(client) else { return }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread { [weak self, descriptors] in
                self?.serve(client)
                descriptors.close(client)
            }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        let reader = ConnectionReader(descriptor: client)
        var counted = Self.threadCPUSeconds()
        while let request = reader.nextRequest() {
            let response = handler(request)
            if let delay = response.delay { Thread.sleep(forTimeInterval: delay) }
            let keepAlive = request.header("Connection")?.lowercased() != "close" && !response.closeConnection
            count()  // before the answer goes, so a client that has it sees the handler's time counted
            let written = ConnectionReader.write(client, response.serialized(keepAlive: keepAlive))
            count()
            guard written, keepAlive else { return }
        }

        func count() {
            let now = Self.threadCPUSeconds()
            servingLock.withLock { servingSeconds += now - counted }
            counted = now
        }
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The listening socket and the open connections. Shutting one down and closing it happen under one lock, so
    /// `stop()` never shuts down a number that was closed and handed to another socket in the meantime (that
    /// would cut an unrelated connection, or another server's listener, anywhere in the process).
    private final class Descriptors: @unchecked Sendable {
        let listener: Int32
        private let lock = NSLock()
        private var connections: Set<Int32> = []
        private var listening = true
        private var stopped = false
        private var admitted = 0

        init(listener: Int32) { self.listener = listener }

        var accepted: Int { lock.withLock { admitted } }

        /// Registers a new connection; false (and closed) once the server is stopping.
        func admit(_ client: Int32) -> Bool {
            lock.withLock {
                guard !stopped else {
                    Glibc.close(client)
                    return false
                }
                connections.insert(client)
                admitted += 1
                return true
            }
        }

        func close(_ client: Int32) {
            lock.withLock {
                if connections.remove(client) != nil { Glibc.close(client) }
            }
        }

        func closeListener() {
            lock.withLock {
                if listening { Glibc.close(listener) }
                listening = false
            }
        }

        /// Wakes every thread blocked on these sockets; each closes its own.
        func shutdownAll() {
            lock.withLock {
                guard !stopped else { return }
                stopped = true
                if listening { shutdown(listener, Int32(SHUT_RDWR)) }
                for client in connections { shutdown(client, Int32(SHUT_RDWR)) }
            }
        }
    }

    public struct ServerError: Error, CustomStringConvertible {
        public let description: String
        init(_ operation: String, _ code: Int32) { description = "\(operation): \(String(cString: strerror(code)))" }
    }
}
