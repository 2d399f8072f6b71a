/// Redirects the host follows itself when an integration allows them (`follow_redirects`), so that they stay within
/// the origins its credentials may go to: libcurl, following them, carried a credential header such as an API key
/// to any host a target named. At most `limit` in a row; the method changes as libcurl and browsers change it.
enum Redirect {
    static let limit = 5

    /// The request that follows `response` to `request`, or nil if the response is no redirect.
    static func next(after request: TransportRequest, _ response: TransportResponse) -> TransportRequest? {
        guard [301, 302, 303, 307, 308].contains(response.statusCode),
            let location = response.headers.value(for: "Location"), !location.isEmpty
        else { return nil }
        var next = request
        next.url = resolve(location, against: request.url)
        let method = request.method.uppercased()
        if (response.statusCode == 303 && method != "HEAD")
            || ([301, 302].contains(response.statusCode) && method == "POST")
        {
            next.method = "GET"
            next.body = []
            next.headers.removeAll { $0.name.lowercased() == "content-type" }
        }
        return next
    }

    /// `location` as an absolute URL, read against the URL it was given for.
    static func resolve(_ location: String, against url: String) -> String {
        let lowered = location.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") { return location }
        guard let schemeEnd = url.range(of: "://") else { return location }
        let scheme = url[..<schemeEnd.lowerBound]
        if location.hasPrefix("//") { return scheme + ":" + location }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let origin = url[..<authorityEnd]
        if location.hasPrefix("/") { return origin + location }
        let path = rest[authorityEnd...].prefix { $0 != "?" && $0 != "#" }
        if location.hasPrefix("?") { return origin + path + location }  // the same path, another query
        // A relative path: beside the last segment of the URL's path.
        let directory = path.lastIndex(of: "/").map { path[...$0] } ?? "/"
        return origin + directory + location
    }
}
