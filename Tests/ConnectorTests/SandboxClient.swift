import Foundation
import HostServices
import JSONCore
import PluginABI
import Sandbox

/// Plain HTTP to the sandbox through libcurl, the way a partner's connector or `curl` would reach it.
struct SandboxClient {
    let sandbox: Sandbox
    private let client = CurlClient(settings: HTTPSettings())

    struct Answer {
        let status: Int
        let headers: [HTTPHeader]
        let text: String
        var json: JSON { (try? JSON.parse(Array(text.utf8))) ?? .null }
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// The `Authorization` header the sandbox's configuration fragment for `simulator` describes.
    func authorization(_ simulator: String) -> String {
        let auth = sandbox.configuration(for: simulator)["auth"]!
        if let key = auth["key"]?.stringValue { return "\(auth["prefix"]?.stringValue ?? "") \(key)" }
        let user = auth["username"]!.stringValue!
        let password = auth["password"]!.stringValue!
        return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    func send(
        _ method: String, _ path: String, as simulator: String? = nil, body: String = "",
        contentType: String = "application/json", headers: [(String, String)] = []
    ) -> Answer {
        var all = [HTTPHeader("Accept", "application/json")]
        if !body.isEmpty { all.append(HTTPHeader("Content-Type", contentType)) }
        if let simulator { all.append(HTTPHeader("Authorization", authorization(simulator))) }
        all += headers.map { HTTPHeader($0.0, $0.1) }
        let request = TransportRequest(
            method: method, url: sandbox.baseURL + path, headers: all, body: Array(body.utf8), timeout: .seconds(60))
        switch client.perform(request) {
        case .success(let response):
            return Answer(
                status: response.statusCode, headers: response.headers,
                text: String(decoding: response.body, as: UTF8.self))
        case .failure(let failure):
            return Answer(status: 0, headers: [], text: failure.description)
        }
    }

    /// A GraphQL query to Lansweeper's Data API.
    func graphQL(_ query: String) -> Answer {
        send("POST", "/api/v2/graphql", as: "lansweeper", body: JSON.object(["query": .string(query)]).serialized())
    }
}
