import Testing

@testable import HostServices

/// Where a redirect's Location leads, read against the URL it was given for.
@Suite struct RedirectTests {
    @Test(
        arguments: [
            ("https://other.example/x", "https://other.example/x"), ("//other.example/x", "https://other.example/x"),
            ("/done", "https://api.example/done"), ("done", "https://api.example/v1/done"),
            ("?page=2", "https://api.example/v1/items?page=2"),
        ] as [(String, String)])
    func aLocationIsReadAgainstTheRequestsURL(location: String, resolved: String) {
        #expect(Redirect.resolve(location, against: "https://api.example/v1/items?page=1") == resolved)
    }
}
