import PluginSDK

#if canImport(Glibc)
    import Glibc
#endif

/// Writes mapped crypto records as NDJSON lines into a file, for systems that ingest files rather than APIs: an
/// air-gapped SIEM's file monitor, a data lake drop folder, an auditor's evidence export. Pulling reads the file
/// back, so a round trip can be checked.
public final class FileExportConnector: PushConnector, PullConnector, SchemaConnector {
    public static let info = ConnectorInfo(
        id: "file-export",
        name: "File export (NDJSON)",
        version: "1.0.0",
        vendor: "CryptoConnect",
        description: "Appends each pushed record as one JSON line to a file, for file-based ingestion.",
        configurationSchema: [
            "type": "object",
            "required": ["directory"],
            "properties": [
                "directory": ["type": "string", "description": "Existing directory the export file is written to."],
                "file_name": [
                    "type": "string", "default": "crypto-inventory.ndjson",
                    "description": "Name of the NDJSON file inside the directory.",
                ],
            ],
        ],
        defaultMapping: [
            ["source_field": "asset.hostname", "target_field": "hostname"],
            ["source_field": "asset.ip_address", "target_field": "ip_address"],
            ["source_field": "crypto_implementation.protocol", "target_field": "protocol"],
            ["source_field": "crypto_implementation.protocol_version", "target_field": "protocol_version"],
            ["source_field": "crypto_implementation.cipher_suite", "target_field": "cipher_suite"],
            ["source_field": "crypto_implementation.key_size", "target_field": "key_size"],
            ["source_field": "crypto_implementation.risk_score", "target_field": "risk_score"],
            [
                "source_field": "certificate.expiration_date", "target_field": "certificate_expires",
                "transform": "iso_date",
            ],
        ]
    )

    private let path: String
    private let host: ConnectorHost

    public init(configuration: Configuration, host: ConnectorHost) throws {
        let directory = try configuration.requiredString("directory")
        let name = configuration.string("file_name") ?? "crypto-inventory.ndjson"
        guard !name.contains("/"), name != "..", name != "." else {
            throw ConnectorError.config("configuration field `file_name` must be a plain file name, got \"\(name)\"")
        }
        path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        self.host = host
    }

    public func testConnection() throws -> JSON {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        guard access(directory, W_OK) == 0 else {
            throw ConnectorError.config("directory \(directory) does not exist or is not writable")
        }
        return ["message": .string("writing to \(path)")]
    }

    public func push(_ records: [PushRecord]) throws -> [RecordResult] {
        var lines: [UInt8] = []
        for record in records {
            // Members in sorted order, as every line has always been written; the fields as the host sent them.
            var line = JSONWriter()
            line.beginObject()
            if record.operation == .delete {
                line.member("deleted", true)
            } else {
                line.member("fields", raw: record.fieldsJSON)
            }
            line.member("key", .string(record.key))
            if let table = record.table { line.member("table", .string(table)) }
            line.endObject()
            lines += line.bytes
            lines.append(0x0A)
        }
        try append(lines)
        return records.map { record in
            switch (record.operation, record.externalID) {
            case (.delete, _): return .deleted(record.key, externalID: record.key)
            case (.upsert, nil): return .created(record.key, externalID: record.key)
            case (.upsert, .some): return .updated(record.key, externalID: record.key)
            }
        }
    }

    public func pull(_ request: PullRequest) throws -> PullPage {
        let offset = Int(request.checkpoint ?? "0") ?? 0
        guard let file = fopen(path, "r") else {
            if errno == ENOENT { return PullPage(records: [], checkpoint: nil, hasMore: false) }
            throw ConnectorError.config("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        fseek(file, offset, SEEK_SET)
        var records: [JSON] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while records.count < request.pageSize {
            let length = getline(&line, &capacity, file)
            if length < 0 { break }
            let bytes = UnsafeRawBufferPointer(start: line, count: length).bindMemory(to: UInt8.self)
            do {
                records.append(try JSON.parse(UnsafeBufferPointer(rebasing: bytes.prefix { $0 != 0x0A })))
            } catch {
                throw ConnectorError.data("\(path) at byte \(offset): a line is not JSON: \(error)")
            }
        }
        let position = ftell(file)
        let hasMore = getc(file) != EOF
        return PullPage(records: records, checkpoint: String(position), hasMore: hasMore)
    }

    public func schema() throws -> TargetSchema {
        TargetSchema(tables: [
            .init(
                name: "records",
                fields: [("key", "string"), ("table", "string"), ("fields", "object"), ("deleted", "boolean")])
        ])
    }

    private func append(_ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ConnectorError.config("cannot open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw ConnectorError.internal("writing \(path) failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        // The host records a push as delivered once this returns: make it durable first.
        guard fsync(fd) == 0 else { throw ConnectorError.internal("fsync \(path) failed") }
    }
}
