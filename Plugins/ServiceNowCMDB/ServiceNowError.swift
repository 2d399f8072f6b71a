import PluginSDK

/// ServiceNow's error body, `{"error":{"message","detail"},"status":"failure"}`, folded into the standard
/// classification so an operator reads ServiceNow's own words.
enum ServiceNowError {
    static func failure(_ response: HTTPResponse, _ action: String) -> ConnectorError? {
        guard var failure = response.failure(action) else { return nil }
        if let body = try? JSON.parse(response.body), let error = body["error"] {
            let message = error["message"]?.stringValue ?? ""
            let detail = error["detail"]?.stringValue ?? ""
            let words = [message, detail == message ? "" : detail].filter { !$0.isEmpty && $0 != "null" }
                .joined(separator: ": ")
            if !words.isEmpty { failure.message += " — ServiceNow says: \(words)" }
        }
        return failure
    }
}
