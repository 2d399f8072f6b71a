import Foundation
import JSONCore
import LoopbackHTTP

/// Simulators of ServiceNow, Lansweeper and Device42 on one 127.0.0.1 port (their paths do not overlap), with fault
/// injection per simulator and an admin API under `/_sandbox`:
///
///     GET    /_sandbox                      simulators, their credentials, faults and request counts
///     PUT    /_sandbox/{name}/faults        set faults: {"rate_limit":{"limit":5,"window_seconds":60,
///                                           "retry_after_seconds":2},"error_rate":0.5,"latency_ms":200,
///                                           "reject_credentials":true,"malformed_bodies":true}
///     DELETE /_sandbox/{name}/faults        clear them
///     GET    /_sandbox/{name}/state         the simulator's records
///     GET    /_sandbox/{name}/requests      the requests it answered (method, path, status, time)
///     POST   /_sandbox/reset                back to the seeded estate, faults cleared
///
/// With a state directory, each simulator's records are loaded from and saved to `{dir}/{name}.json`.
public final class Sandbox: @unchecked Sendable {
    public static let names = ["servicenow", "lansweeper", "device42"]

    public let estate: SampleEstate
    private let gates: [String: FaultGate]
    private let stateDirectory: URL?
    private let saveLock = NSLock()
    private var unsaved: Set<String> = []
    private var server: HTTPServer?

    public init(port: Int = 0, stateDirectory: String? = nil, estate: SampleEstate = SampleEstate()) throws {
        self.estate = estate
        let simulators: [VendorSimulator] = [
            ServiceNowSimulator(estate: estate), LansweeperSimulator(estate: estate), Device42Simulator(estate: estate),
        ]
        gates = Dictionary(uniqueKeysWithValues: simulators.map { ($0.name, FaultGate($0)) })
        self.stateDirectory = stateDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) }
        if let directory = self.stateDirectory {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for simulator in simulators {
                let file = directory.appendingPathComponent("\(simulator.name).json")
                guard let data = FileManager.default.contents(atPath: file.path) else { continue }
                do { simulator.restore(try JSON.parse(Array(data))) } catch {
                    throw SandboxProblem(
                        description: "\(file.path): not a sandbox state file (\(error)); remove it to start over")
                }
            }
        }
        server = try HTTPServer(port: port) { [unowned self] request in self.handle(request) }
    }

    deinit { stop() }

    public var baseURL: String { server?.baseURL ?? "" }
    public var port: Int { server?.port ?? 0 }

    public func stop() {
        server?.stop()
        server = nil
        flush()
    }

    /// The configuration fragment (base URL, auth, and anything else the connector needs) for one simulator.
    public func configuration(for name: String) -> JSON {
        var fragment = gates[name]?.simulator.credentials.objectValue ?? [:]
        fragment["base_url"] = .string(baseURL)
        return .object(fragment)
    }

    /// ServiceNow's `auth` block for the OAuth password grant, the alternative to Basic.
    public var serviceNowOAuth: JSON {
        [
            "type": "oauth2_password", "token_url": .string(baseURL + "/oauth_token.do"),
            "client_id": .string(ServiceNowSimulator.clientID),
            "client_secret": .string(ServiceNowSimulator.clientSecret),
            "username": .string(ServiceNowSimulator.username), "password": .string(ServiceNowSimulator.password),
        ]
    }

    public func setFaults(_ faults: Faults, for name: String) throws(SandboxProblem) {
        guard let gate = gates[name] else { throw SandboxProblem(description: "no simulator named \(name)") }
        gate.current = faults
    }

    public func requests(to name: String) -> [ServedRequest] { gates[name]?.requests ?? [] }

    public func state(of name: String) -> JSON { gates[name]?.simulator.snapshot() ?? .null }

    /// Back to the seeded estate, faults and request logs cleared.
    public func reset() {
        let fresh: [VendorSimulator] = [
            ServiceNowSimulator(estate: estate), LansweeperSimulator(estate: estate), Device42Simulator(estate: estate),
        ]
        for simulator in fresh {
            guard let gate = gates[simulator.name] else { continue }
            gate.simulator.restore(simulator.snapshot())
            gate.current = Faults()
            gate.clearRequests()
            save(gate.simulator)
        }
    }

    private func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        if request.path == "/_sandbox" || request.path.hasPrefix("/_sandbox/") { return admin(request) }
        guard let gate = gates.values.first(where: { $0.simulator.serves(request.path) }) else {
            return .json(404, ["error": .string("no simulator serves \(request.path); GET /_sandbox lists them")])
        }
        let response = gate.handle(request)
        if (200..<300).contains(response.status), gate.simulator.mutates(request) { save(gate.simulator) }
        return response
    }

    /// Marks a simulator's records for saving. Writes are coalesced (at most one per simulator every 200 ms, and
    /// a last one on `stop()`), so a burst of pushes does not serialize the whole state once per request.
    private func save(_ simulator: VendorSimulator) {
        guard stateDirectory != nil else { return }
        let schedule = saveLock.withLock {
            let first = unsaved.isEmpty
            unsaved.insert(simulator.name)
            return first
        }
        if schedule { DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { [weak self] in self?.flush() } }
    }

    /// Writes the records of every simulator changed since the last flush.
    public func flush() {
        guard let directory = stateDirectory else { return }
        saveLock.withLock {
            for name in unsaved.sorted() {
                guard let gate = gates[name] else { continue }
                let bytes = Data(gate.simulator.snapshot().serializedBytes())
                try? bytes.write(to: directory.appendingPathComponent("\(name).json"), options: .atomic)
            }
            unsaved = []
        }
    }

    private func admin(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let parts = request.path.split(separator: "/").dropFirst().map(String.init)
        switch (request.method, parts.count) {
        case ("GET", 0):
            return .json(200, ["base_url": .string(baseURL), "simulators": .array(Self.names.map(summary))])
        case ("POST", 1) where parts[0] == "reset":
            reset()
            return .json(200, ["reset": true])
        case (_, 2):
            guard let gate = gates[parts[0]] else {
                return .json(
                    404,
                    ["error": .string("no simulator named \(parts[0]); known: \(Self.names.joined(separator: ", "))")])
            }
            switch (request.method, parts[1]) {
            case ("GET", "faults"): return .json(200, gate.current.json)
            case ("PUT", "faults"):
                guard let body = request.jsonBody else {
                    return .json(400, ["error": "the body must be a JSON object of faults"])
                }
                do { gate.current = try Faults(json: body) } catch {
                    return .json(400, ["error": .string(error.description)])
                }
                return .json(200, gate.current.json)
            case ("DELETE", "faults"):
                gate.current = Faults()
                return .json(200, gate.current.json)
            case ("GET", "state"): return .json(200, gate.simulator.snapshot())
            case ("GET", "requests"): return .json(200, ["requests": .array(gate.requests.map(\.json))])
            default: break
            }
        default: break
        }
        return .json(404, ["error": .string("\(request.method) \(request.path) is not part of the sandbox admin API")])
    }

    private func summary(_ name: String) -> JSON {
        guard let gate = gates[name] else { return .null }
        var entry = configuration(for: name).objectValue ?? [:]
        entry["name"] = .string(name)
        entry["faults"] = gate.current.json
        entry["requests"] = JSON(gate.requests.count)
        return .object(entry)
    }
}
