import Foundation

/// A real nginx (the Debian package) serving TLS on 127.0.0.1 with certificates made for the test: one port with a
/// server certificate from a private CA, one that also requires a client certificate from that CA.
public final class Nginx: @unchecked Sendable {
    public let folder = TemporaryDirectory("nginx")
    public let tlsPort: Int
    public let mutualTLSPort: Int
    public let certificates: TestCertificates
    private let process: Spawned

    public init() throws {
        certificates = try TestCertificates(in: folder)
        let ports = try Self.freePorts(2)
        tlsPort = ports[0]
        mutualTLSPort = ports[1]
        let prefix = folder.path
        folder.directory("logs")
        folder.directory("temp")
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/logs/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(prefix)/temp/body;
                proxy_temp_path \(prefix)/temp/proxy;
                fastcgi_temp_path \(prefix)/temp/fastcgi;
                uwsgi_temp_path \(prefix)/temp/uwsgi;
                scgi_temp_path \(prefix)/temp/scgi;
                server {
                    listen 127.0.0.1:\(tlsPort) ssl;
                    ssl_certificate \(certificates.serverCertificate);
                    ssl_certificate_key \(certificates.serverKey);
                    location / { default_type application/json; return 200 '{"tls":"ok"}'; }
                }
                server {
                    listen 127.0.0.1:\(mutualTLSPort) ssl;
                    ssl_certificate \(certificates.serverCertificate);
                    ssl_certificate_key \(certificates.serverKey);
                    ssl_client_certificate \(certificates.caCertificate);
                    ssl_verify_client on;
                    location / { default_type application/json; return 200 '{"client":"$ssl_client_s_dn"}'; }
                }
            }
            """
        let configPath = folder.file("nginx.conf", config)
        // The shared instance of a suite is never deinitialised: a watchdog shell stops nginx when the test process
        // is gone (or when told to stop), so no server outlives the tests.
        let watchdog = """
            /usr/sbin/nginx -c "$1" -p "$2" -e "$3" & nginx=$!
            trap 'kill $nginx 2>/dev/null; exit 0' TERM
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $nginx 2>/dev/null; do sleep 0.2; done
            kill $nginx 2>/dev/null
            """
        process = try Spawned(
            "/bin/sh", ["-c", watchdog, "nginx-watchdog", configPath, prefix, prefix + "/logs/error.log"])
        try waitForPorts([tlsPort, mutualTLSPort])
    }

    deinit {
        if process.isRunning {
            process.signal(SIGTERM)
            process.wait()
        }
    }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") }

    private func waitForPorts(_ ports: [Int]) throws {
        let deadline = Date().addingTimeInterval(10)
        for port in ports {
            while !Self.accepts(port) {
                guard Date() < deadline, process.isRunning else {
                    let log = (try? String(contentsOfFile: folder.path + "/logs/error.log", encoding: .utf8)) ?? ""
                    throw NginxFailure(description: "nginx did not start on 127.0.0.1:\(port): \(log)")
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    public struct NginxFailure: Error, CustomStringConvertible {
        public let description: String
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    /// Ports nobody listens on right now, all different: each stays bound until all are chosen.
    public static func freePorts(_ count: Int) throws -> [Int] {
        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        return (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            descriptors.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}

/// A private CA, a server certificate for 127.0.0.1/localhost, and client certificates, made with openssl.
public struct TestCertificates: Sendable {
    public let caCertificate: String
    public let serverCertificate: String
    public let serverKey: String
    public let clientCertificate: String
    public let clientKey: String
    /// The same client key, encrypted with `clientKeyPassphrase`.
    public let encryptedClientKey: String
    public let clientKeyPassphrase = "correct horse battery staple"

    init(in folder: TemporaryDirectory) throws {
        let dir = folder.path
        func openssl(_ arguments: [String]) throws {
            let result = try Command.run("/usr/bin/openssl", arguments)
            guard result.status == 0 else {
                throw Nginx.NginxFailure(description: "openssl \(arguments.joined(separator: " ")): \(result.stderr)")
            }
        }
        folder.file("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=CryptoConnect Test CA",
            "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem",
        ])
        for name in ["server", "client"] {
            try openssl([
                "req", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=\(name == "server" ? "localhost" : "cryptoconnect-client")",
                "-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr",
            ])
            try openssl(
                [
                    "x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
                    "-CAcreateserial", "-days", "2", "-out", "\(dir)/\(name).pem",
                ]
                    + (name == "server" ? ["-extfile", "\(dir)/server.ext"] : []))
        }
        try openssl([
            "pkey", "-in", "\(dir)/client.key", "-aes256", "-passout", "pass:\(clientKeyPassphrase)",
            "-out", "\(dir)/client-encrypted.key",
        ])
        caCertificate = "\(dir)/ca.pem"
        serverCertificate = "\(dir)/server.pem"
        serverKey = "\(dir)/server.key"
        clientCertificate = "\(dir)/client.pem"
        clientKey = "\(dir)/client.key"
        encryptedClientKey = "\(dir)/client-encrypted.key"
    }
}
