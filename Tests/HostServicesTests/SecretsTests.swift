import CSystemShims
import Foundation
import HostServices
import JSONCore
import PluginABI
import PluginRuntime
import Store
import TestSupport
import Testing

/// Secrets at rest: sealed under the master key, never in the database file or the logs in plaintext.
@Suite struct SecretsTests {
    let folder = TemporaryDirectory("secrets")

    func store() throws -> Store { try Store(path: folder.path + "/cc.sqlite") }

    @Test func sealedSecretsOpenOnlyWithTheirKey() throws {
        let store = try store()
        let key = try MasterKey(base64: MasterKey.generate(), source: "test")
        let vault = SecretVault(store: store, key: key)
        try vault.save(
            owner: "acme/servicenow",
            secrets: ["auth.password": "Tr0ub4dor&3-unique", "auth.client_secret": "cs-77777"])
        #expect(
            try vault.secrets(owner: "acme/servicenow") == [
                "auth.password": "Tr0ub4dor&3-unique", "auth.client_secret": "cs-77777",
            ])

        let otherKey = try MasterKey(base64: MasterKey.generate(), source: "test")
        #expect {
            _ = try SecretVault(store: store, key: otherKey).secrets(owner: "acme/servicenow")
        } throws: { error in
            "\(error)".contains("was sealed with master key \(key.id), but the configured master key is \(otherKey.id)")
        }
    }

    @Test func noPlaintextInTheDatabaseFile() throws {
        let store = try store()
        let vault = SecretVault(store: store, key: try MasterKey(base64: MasterKey.generate(), source: "test"))
        let secret = "needle-in-the-haystack-42"
        try vault.save(owner: "t/i", secrets: ["auth.password": secret])
        try store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/" + file))
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds the secret in plaintext")
        }
    }

    /// A new store's folder and files are its user's alone: they were created readable by everyone.
    @Test func aNewStoreIsPrivateToItsUser() throws {
        let store = try Store(path: folder.path + "/data/cc.sqlite")
        try store.pool.write { try $0.execute(sql: "CREATE TABLE t (x)") }  // the WAL and shared memory exist now
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? 0) & 0o777
        }
        #expect(try mode(folder.path + "/data") == 0o700)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path + "/data") {
            #expect(try mode(folder.path + "/data/" + file) == 0o600, "\(file)")
        }
    }

    @Test func tamperedOrMovedSecretsDoNotOpen() throws {
        let store = try store()
        let key = try MasterKey(base64: MasterKey.generate(), source: "test")
        let vault = SecretVault(store: store, key: key)
        try vault.save(owner: "a", secrets: ["auth.password": "first-secret"])
        var sealed = try #require(try store.secrets(owner: "a").first)
        sealed = SealedSecret(owner: "b", name: sealed.name, keyID: sealed.keyID, sealed: sealed.sealed)
        try store.saveSecret(sealed)  // copied to another owner
        #expect { _ = try vault.secrets(owner: "b") } throws: { "\($0)".contains("was altered or moved") }
    }

    @Test func rotationReSealsEverything() throws {
        let store = try store()
        let old = try MasterKey(base64: MasterKey.generate(), source: "old")
        let new = try MasterKey(base64: MasterKey.generate(), source: "new")
        try SecretVault(store: store, key: old).save(
            owner: "x", secrets: ["auth.token": "tok-1234", "auth.key": "key-5678"])
        #expect(try SecretVault(store: store, key: old).rotate(to: new) == 2)
        #expect(
            try SecretVault(store: store, key: new).secrets(owner: "x") == [
                "auth.token": "tok-1234", "auth.key": "key-5678",
            ])
        #expect(throws: (any Error).self) { try SecretVault(store: store, key: old).secrets(owner: "x") }
    }

    @Test func missingOrMalformedMasterKeyIsAClearError() {
        #expect { _ = try MasterKey.load(environment: [:]) } throws: {
            "\($0)".contains("no master key: set CRYPTOCONNECT_MASTER_KEY")
                && "\($0)".contains("never stored unencrypted")
        }
        #expect { _ = try MasterKey.load(environment: ["CRYPTOCONNECT_MASTER_KEY": "short"]) } throws: {
            "\($0)".contains("must be 32 bytes encoded as base64")
        }
        #expect { _ = try MasterKey.load(file: folder.path + "/missing.key") } throws: {
            "\($0)".contains("missing.key cannot be read")
        }
    }

    /// A key file other users can read opens every tenant's secrets to them: refused, as ssh refuses such a key.
    @Test func aMasterKeyFileOthersCanReadIsRefused() throws {
        let path = folder.file("master.key", MasterKey.generate())
        for mode: mode_t in [0o644, 0o660] {
            chmod(path, mode)
            #expect { _ = try MasterKey.load(file: path) } throws: {
                "\($0)"
                    == "the master key file \(path) is open to other users (mode \(String(mode, radix: 8))): make it "
                    + "private with chmod 600 \(path) (or 640 for a group to read it)"
            }
        }
        chmod(path, 0o640)  // a group may share it
        #expect(throws: Never.self) { _ = try MasterKey.load(file: path) }
        // A key another user owns is theirs to read (shown where the tests may give the file away: as root).
        if geteuid() == 0, chown(path, 65534, 65534) == 0 {
            #expect { _ = try MasterKey.load(file: path) } throws: {
                "\($0)".contains("belongs to another user (uid 65534), who can read it")
            }
            chown(path, 0, 0)
        }
        // The process that holds the key is not dumpable: a plugin's worker, running as the same user, cannot read
        // the key from its /proc environ or memory.
        #expect(cc_is_dumpable() == 0)
    }

    /// A target or a URL echoes a secret percent-encoded (a Location, a form body), form-encoded or JSON-escaped;
    /// and the OAuth client's own Basic header is one too. Each form is blanked.
    @Test func redactionBlanksTheFormsASecretIsEchoedIn() throws {
        let redactor = Redactor()
        redactor.register(["P@ss/w0rd+Secret=X", #"pa"ss\word 1"#])
        let echoes = [
            ("leak=P%40ss%2Fw0rd%2BSecret%3DX", "leak=[REDACTED]"),
            ("leak=P%40ss%2fw0rd%2bSecret%3dX", "leak=[REDACTED]"),
            (#"{"error":"bad pa\"ss\\word 1"}"#, #"{"error":"bad [REDACTED]"}"#),
            ("password=pa%22ss%5Cword+1&x=1", "password=[REDACTED]&x=1"),
            ("leak=P%40ss/w0rd%2BSecret%3DX", "leak=[REDACTED]"),  // Python's quote leaves `/`
            (#"{"p":"P@ss\/w0rd+Secret=X"}"#, #"{"p":"[REDACTED]"}"#),  // JSON's optional `\/`
        ]
        for (echo, masked) in echoes { #expect(redactor.redact(echo) == masked) }
        // An HTML error page, JavaScript's and Java's encoders, and base64 of it.
        let accented = "Adm!n*P&ss<2024>é"
        redactor.register([accented])
        for echo in [
            "Adm!n*P&amp;ss&lt;2024&gt;é", "Adm!n*P%26ss%3C2024%3E%C3%A9", "Adm%21n*P%26ss%3C2024%3E%C3%A9",
            Data(accented.utf8).base64EncodedString(),
        ] {
            #expect(redactor.redact("<p>\(echo)</p>") == "<p>[REDACTED]</p>", "\(echo)")
        }

        let oauth = Redactor()
        _ = try integrationHTTP(
            [
                "base_url": "https://x.example.com",
                "auth": [
                    "type": "oauth2_client_credentials", "token_url": "https://x.example.com/token",
                    "client_id": "cc-client", "client_secret": "cc-secret-42", "client_authentication": "basic",
                ],
            ], redactor: oauth)
        let header = Data("cc-client:cc-secret-42".utf8).base64EncodedString()
        #expect(oauth.redact("auth=Basic \(header)") == "auth=[REDACTED]")
    }

    @Test func redactionBlanksKnownSecretsInLogLines() {
        let redactor = Redactor()
        redactor.register(["hunter2-password", "abc"])
        let log = CollectingLog()
        let redacting = RedactingLog(log, redactor: redactor)
        redacting.write(
            LogEntry(level: .error, source: "t", message: "login failed for svc with hunter2-password (abc)"))
        #expect(log.entries.first?.message == "login failed for svc with [REDACTED] (abc)")
    }
}

/// Configurations are checked against the plugin's schema, and secrets only live where the schema allows them.
@Suite struct ConfigurationSchemaTests {
    let schema = ConfigurationSchema(
        ConnectionSchema.schema(
            auth: [.basic, .oauth2Password],
            properties: [
                "table": ["type": "string", "enum": ["cmdb_ci_server", "cmdb_ci_linux_server"]],
                "page_size": ["type": "integer", "minimum": 1],
            ]))

    @Test func problemsNameTheField() {
        let problems = schema.problems(in: [
            "base_url": 5, "auth": ["type": "telepathy"], "table": "incident", "page_size": 0, "colour": "blue",
        ])
        #expect(
            problems.map(\.description) == [
                "auth.type: must be one of \"basic\", \"oauth2_password\", got \"telepathy\"",
                "base_url: must be a string, got integer",
                "colour: is not a field of this plugin's configuration",
                "page_size: must be at least 1",
                "table: must be one of \"cmdb_ci_server\", \"cmdb_ci_linux_server\", got \"incident\"",
            ])
        #expect(schema.problems(in: ["auth": ["type": "basic"]]).map(\.description) == ["base_url: is required"])
    }

    @Test func secretsAreSplitOff() throws {
        let (publicPart, secrets) = try schema.split([
            "base_url": "https://x.example.com", "auth": ["type": "basic", "username": "svc", "password": "pw-secret"],
        ])
        #expect(publicPart == ["base_url": "https://x.example.com", "auth": ["type": "basic", "username": "svc"]])
        #expect(secrets == ["auth.password": "pw-secret"])
        #expect(schema.secretPaths.contains("tls.client_key_pem"))
    }

    @Test func credentialsOutsideSecretFieldsAreRefused() {
        let open = ConfigurationSchema(["type": "object", "properties": ["notes": ["type": "object"]]])
        let problems = open.problems(in: ["notes": ["password": "oops-plaintext"], "token": "t-123"])
        #expect(problems.count == 2)
        #expect(problems.allSatisfy { $0.message.contains("looks like a credential but is not a secret field") })
    }

    /// A plugin's defaults fill its own properties and the rate limit, never the host's security settings: a new
    /// build naming `additional_origins` (or a proxy, or no TLS verification) by default sent an integration's
    /// credentials to a host of its choosing.
    @Test func aPluginsDefaultsNeverTouchTheHostsSecuritySettings() throws {
        var properties = ConnectionSchema.properties()
        func withDefault(_ name: String, _ value: JSON) {
            var field = properties[name]?.objectValue ?? [:]
            field["default"] = value
            properties[name] = .object(field)
        }
        withDefault("additional_origins", ["http://127.0.0.1:9002"])
        withDefault("proxy", "http://127.0.0.1:3128")
        withDefault("follow_redirects", true)
        properties["page_limit"] = ["type": "integer", "default": 50]
        var schema = ConnectionSchema.schema(rateLimit: (requestsPerSecond: 2.5, burst: 4)).objectValue!
        var all = schema["properties"]!.objectValue!
        for (name, value) in properties where name != "rate_limit" { all[name] = value }
        schema["properties"] = .object(all)
        let filled = ConfigurationSchema(.object(schema)).applyingDefaults(to: [
            "base_url": "https://x.example.com", "auth": ["type": "none"],
        ])
        #expect(
            filled == [
                "base_url": "https://x.example.com", "auth": ["type": "none"], "page_limit": 50,
                "rate_limit": ["requests_per_second": 2.5, "burst": 4],
            ])
    }

    @Test func aPasswordInAURLIsRefusedWithoutQuotingIt() {
        let problems = schema.problems(in: [
            "base_url": "https://svc:URLPASS-999@x.example.com/api", "auth": ["type": "basic"],
            "proxy": "http://proxyuser:PROXYPASS-1@proxy:3128",
        ])
        #expect(problems.map(\.path) == ["base_url", "proxy"])
        #expect(problems.allSatisfy { $0.message.contains("is a URL with a password in it") })
        #expect(!problems.map(\.description).joined().contains("PASS"))
        // In a list, described or not; but a field the schema seals may hold a URL with its password (a DSN).
        let open = ConfigurationSchema([
            "type": "object",
            "properties": ["mirrors": ["type": "array"], "dsn": ["type": "string", "x-secret": true]],
        ])
        let listed = open.problems(in: [
            "mirrors": ["https://u:pw-1@m.example.com"], "extra": [["url": "https://u:pw-2@x.example.com"]],
            "dsn": "postgres://svc:pw-3@db.example.com/cc",
        ])
        #expect(listed.map(\.path) == ["extra[0].url", "mirrors[0]"])
        // A user name alone, or an @ in the path or query, is no password.
        #expect(!ConfigurationSchema.carriesPassword("https://svc@x.example.com/a:b"))
        #expect(!ConfigurationSchema.carriesPassword("https://x.example.com/users/a:b@c"))
        #expect(ConfigurationSchema.carriesPassword("https://a:b@x.example.com"))
    }

    /// A token in `base_url`'s query would be logged with every request, and the paths appended after it; refused
    /// by name, without quoting the value.
    @Test(arguments: [
        "https://x.example.com/?token=TopSecret-1", "https://x.example.com/api#TopSecret-1",
        "dev1.service-now.com/api?token=TopSecret-1",
    ])
    func aBaseURLWithAQueryOrFragmentIsRefused(url: String) {
        #expect {
            _ = try HTTPSettings(configuration: ["base_url": .string(url)], secrets: [:])
        } throws: { error in
            "\(error)".hasPrefix("base_url: must not have a query or fragment") && !"\(error)".contains("TopSecret")
        }
    }

    /// The URLs the host connects through are read strictly: a password holding a `/`, which a parser takes for a
    /// port and a path, is refused all the same, and no message quotes the value.
    @Test(arguments: [
        ("base_url", "https://admin:pa/ss-TopSecret-78@x.example.com"),
        ("proxy", "http://proxyuser:px/TopSecret-79@proxy:3128"), ("proxy", "proxyuser:TopSecret-80@127.0.0.1:3128"),
        ("proxy", "svc:pr?xy-TopSecret-81@127.0.0.1:3128"),
    ])
    func aPasswordAParserWouldMissIsRefusedToo(field: String, url: String) {
        var configuration: [String: JSON] = ["base_url": "https://x.example.com"]
        configuration[field] = .string(url)
        #expect {
            _ = try HTTPSettings(configuration: .object(configuration), secrets: [:])
        } throws: { error in
            "\(error)".hasPrefix("\(field): is a URL with a password in it") && !"\(error)".contains("TopSecret")
        }
    }

    @Test func anAdditionalOriginWithAPasswordIsRefused() {
        #expect {
            _ = try HTTPSettings(
                configuration: [
                    "base_url": "https://x.example.com",
                    "additional_origins": ["http://u:pa/ss-TopSecret@y.example.com"],
                ], secrets: [:])
        } throws: { error in
            "\(error)".hasPrefix("additional_origins[0]: is a URL with a password in it")
                && !"\(error)".contains("TopSecret")
        }
    }

    @Test func aBaseURLThatIsNoURLIsNamedWithoutQuotingIt() {
        #expect {
            _ = try HTTPSettings(configuration: ["base_url": "x.example.com/TopSecret-5"], secrets: [:])
        } throws: { error in
            "\(error)" == "base_url: must be an absolute http or https URL (scheme://host[:port][/path])"
        }
    }
}
