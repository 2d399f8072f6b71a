import Foundation
import HostServices
import JSONCore
import PluginABI
import TestSupport
import Testing

/// TLS and mutual TLS against a real nginx with certificates from a private CA.
@Suite(.enabled(if: Nginx.isInstalled, "nginx is installed by the README's test command"))
struct TLSTests {
    static let nginx = Result { try Nginx() }

    private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func untrustedServerIsRefusedUntilItsCAIsConfigured() throws {
        let nginx = try Self.nginx.get()
        let base = "https://127.0.0.1:\(nginx.tlsPort)"
        let untrusted = try integrationHTTP(["base_url": .string(base), "retry": ["max_attempts": 1]]).send(get("/"))
        #expect(untrusted.status == .tls)
        let byFile = try integrationHTTP([
            "base_url": .string(base), "tls": ["ca_file": .string(nginx.certificates.caCertificate)],
        ])
        #expect(byFile.send(get("/")).text == #"{"tls":"ok"}"#)
        let byPEM = try integrationHTTP([
            "base_url": .string(base), "tls": ["ca_pem": .string(try read(nginx.certificates.caCertificate))],
        ])
        #expect(byPEM.send(get("/")).statusCode == 200)
    }

    @Test func mutualTLSNeedsTheClientCertificate() throws {
        let nginx = try Self.nginx.get()
        let certificates = nginx.certificates
        let base = "https://127.0.0.1:\(nginx.mutualTLSPort)"
        let anonymous = try integrationHTTP([
            "base_url": .string(base), "tls": ["ca_file": .string(certificates.caCertificate)],
        ])
        let refused = anonymous.send(get("/"))
        #expect(refused.statusCode == 400)
        #expect(refused.text.contains("No required SSL certificate was sent"))

        let withCertificate = try integrationHTTP([
            "base_url": .string(base),
            "tls": [
                "ca_file": .string(certificates.caCertificate),
                "client_certificate_pem": .string(try read(certificates.clientCertificate)),
                "client_key_pem": .string(try read(certificates.clientKey)),
            ],
        ])
        let accepted = withCertificate.send(get("/"))
        #expect(accepted.statusCode == 200)
        #expect(accepted.text.contains("CN=cryptoconnect-client"))
    }

    @Test func encryptedClientKeyNeedsItsPassphrase() throws {
        let nginx = try Self.nginx.get()
        let certificates = nginx.certificates
        func configuration(_ passphrase: String) throws -> JSON {
            [
                "base_url": .string("https://127.0.0.1:\(nginx.mutualTLSPort)"), "retry": ["max_attempts": 1],
                "tls": [
                    "ca_file": .string(certificates.caCertificate),
                    "client_certificate_pem": .string(try read(certificates.clientCertificate)),
                    "client_key_pem": .string(try read(certificates.encryptedClientKey)),
                    "client_key_passphrase": .string(passphrase),
                ],
            ]
        }
        #expect(
            try integrationHTTP(try configuration(certificates.clientKeyPassphrase)).send(get("/")).statusCode == 200)
        let redactor = Redactor()
        let wrong = try integrationHTTP(try configuration("wrong passphrase"), redactor: redactor).send(get("/"))
        #expect(wrong.status == .tls)
        #expect(wrong.errorMessage?.contains("wrong passphrase") == false)

        // Without one, the configuration is refused naming what is missing (OpenSSL asked a terminal and crashed).
        var missing = try configuration("").objectValue!
        missing["tls"] = .object(missing["tls"]!.objectValue!.filter { $0.key != "client_key_passphrase" })
        #expect {
            try integrationHTTP(.object(missing))
        } throws: {
            "\($0)" == "tls.client_key_passphrase: is required: tls.client_key_pem is an encrypted key"
        }
        // Settings made without that check (a caller of the HTTP stack's own) fail the request, not the process.
        let (publicPart, secrets) = try ConfigurationSchema(ConnectionSchema.schema(required: [])).split(
            try configuration(certificates.clientKeyPassphrase))
        var settings = try HTTPSettings(configuration: publicPart, secrets: secrets)
        settings.tls.clientKeyPassphrase = nil
        let unlocked = IntegrationHTTP(integration: "test", settings: settings, redactor: redactor).send(get("/"))
        #expect(unlocked.status == .tls)
    }
}
