import Foundation
import JSONCore
import LoopbackHTTP

/// The REST "record sink" the fixture connector talks to: upserts records by correlation id (so a record sent twice
/// is updated, never created twice), lists assets for pulls, and injects faults on demand. What it lists and which
/// faults it injects are its `Behaviour`, set member by member: `sink.latency = 0.2`.
@dynamicMemberLookup
public final class RecordSinkServer: @unchecked Sendable {
    public struct Stored: Sendable {
        public let id: String
        public let fields: JSON
        public let writes: Int
    }

    public struct Behaviour: Sendable {
        /// Assets the sink lists for pulls.
        public var assets: [JSON] = []
        /// Records whose fields contain this value are refused as invalid (a data error).
        public var rejectFieldValue: String?
        /// When set, requests without `Authorization: Bearer <token>` get 401.
        public var requiredToken: String?
        /// Held back before each answer: a target across a network rather than on this machine.
        public var latency: TimeInterval = 0
        /// Requests whose body contains this value are refused whole with `refusalStatus`, as a target refuses a
        /// malformed batch (400) or fails on it (5xx).
        public var refuseRequestsContaining: String?
        public var refusalStatus = 400
    }

    private let lock = NSLock()
    private var behaviour = Behaviour()
    private var records: [String: Stored] = [:]
    private var creations = 0
    private var requestCount = 0
    private var answers: [HTTPServerResponse] = []
    private var answering = 0
    private var mostAnswering = 0
    private var spans: [(arrived: Date, answered: Date, status: Int)] = []

    public subscript<Value>(dynamicMember member: WritableKeyPath<Behaviour, Value>) -> Value {
        get { lock.withLock { behaviour[keyPath: member] } }
        set { lock.withLock { behaviour[keyPath: member] = newValue } }
    }

    private var server: HTTPServer!

    public init(port: Int = 0) throws {
        server = try HTTPServer(port: port) { [unowned self] request in self.answer(request) }
    }

    deinit { server.stop() }

    public var baseURL: String { server.baseURL }
    public var port: Int { server.port }
    /// The CPU time spent serving requests so far.
    public var servingCPUSeconds: Double { server.servingCPUSeconds }
    public func stop() { server.stop() }

    /// The next answers to give, whatever the request (then normal service resumes).
    public func queue(_ responses: HTTPServerResponse...) { lock.withLock { answers += responses } }

    public var stored: [String: Stored] { lock.withLock { records } }
    /// How many records were created (a correct client never creates one twice).
    public var created: Int { lock.withLock { creations } }
    public var requests: Int { lock.withLock { requestCount } }
    /// The most requests the sink was answering at the same time.
    public var mostConcurrentRequests: Int { lock.withLock { mostAnswering } }
    /// When each request arrived and was answered, and the answer's status, in the order answered.
    public var answered: [(arrived: Date, answered: Date, status: Int)] { lock.withLock { spans } }

    private func answer(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let arrived = Date()
        let latency = lock.withLock { () -> TimeInterval in
            answering += 1
            mostAnswering = max(mostAnswering, answering)
            return behaviour.latency
        }
        if latency > 0 { Thread.sleep(forTimeInterval: latency) }
        let response = respond(to: request)
        lock.withLock {
            answering -= 1
            spans.append((arrived, Date(), response.status))
        }
        return response
    }

    private func respond(to request: HTTPServerRequest) -> HTTPServerResponse {
        let (queued, behaviour) = lock.withLock { () -> (HTTPServerResponse?, Behaviour) in
            requestCount += 1
            return (answers.isEmpty ? nil : answers.removeFirst(), self.behaviour)
        }
        if let queued { return queued }
        if let refuse = behaviour.refuseRequestsContaining,
            String(decoding: request.body, as: UTF8.self).contains(refuse)
        {
            return HTTPServerResponse(
                status: behaviour.refusalStatus, json: #"{"error":"the batch holds a value the sink refuses"}"#)
        }
        if let token = behaviour.requiredToken, request.header("Authorization") != "Bearer \(token)" {
            return HTTPServerResponse(status: 401, json: #"{"error":"invalid token"}"#)
        }
        if request.method == "GET", request.path.hasSuffix("/assets") {
            return listAssets(request, from: behaviour.assets)
        }
        if request.method == "GET" { return HTTPServerResponse(status: 200, json: #"{"records":[]}"#) }
        guard request.method == "POST", let body = try? JSON.parse(request.body),
            let items = body["records"]?.arrayValue
        else {
            return HTTPServerResponse(status: 400, json: #"{"error":"expected {\"records\": [...]}"}"#)
        }
        let results: [JSON] = lock.withLock {
            items.map { item in
                guard let key = item["correlation_id"]?.stringValue else {
                    return ["status": "rejected", "message": "no correlation_id"]
                }
                let fields = item["fields"] ?? [:]
                if let reject = behaviour.rejectFieldValue, fields.serialized().contains(reject) {
                    return [
                        "correlation_id": .string(key), "status": "rejected",
                        "message": .string("field value \(reject) is not allowed"),
                    ]
                }
                if let existing = records[key] {
                    records[key] = Stored(id: existing.id, fields: fields, writes: existing.writes + 1)
                    return ["correlation_id": .string(key), "status": "updated", "id": .string(existing.id)]
                }
                creations += 1
                let id = "sink-\(creations)"
                records[key] = Stored(id: id, fields: fields, writes: 1)
                return ["correlation_id": .string(key), "status": "created", "id": .string(id)]
            }
        }
        let document: JSON = ["results": .array(results)]
        return HTTPServerResponse(status: 200, json: document.serialized())
    }

    private func listAssets(_ request: HTTPServerRequest, from all: [JSON]) -> HTTPServerResponse {
        let query = request.queryItems
        let offset = Int(query["offset"] ?? "0") ?? 0
        let limit = Int(query["limit"] ?? "100") ?? 100
        let page = Array(all.dropFirst(offset).prefix(limit))
        let document: JSON = ["total": JSON(all.count), "assets": .array(page)]
        return HTTPServerResponse(status: 200, json: document.serialized())
    }
}
