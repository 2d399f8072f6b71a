/// One record handed to `push`: the integration's field mapping has already turned inventory data into the
/// target's field names.
public struct PushRecord: Sendable, Equatable {
    public enum Operation: String, Sendable { case upsert, delete }

    /// The host's stable key for this record; results refer to it.
    public var key: String
    public var operation: Operation
    /// The target's id from an earlier push, when known.
    public var externalID: String?
    /// The target table or class the mapping chose, if any.
    public var table: String?
    /// The mapped fields, built from the batch the first time they are read.
    public var fields: [String: JSON] {
        get { mapped.fields }
        set { mapped = MappedFields(newValue) }
    }
    /// The fields as one JSON object, members in sorted order: for a record from the host, the bytes it sent. A
    /// connector that sends the fields on unchanged writes these into its body (`JSONWriter.member(_:raw:)`), and
    /// `fields` is never built.
    public var fieldsJSON: [UInt8] { mapped.json }
    private var mapped: MappedFields

    public init(
        key: String, operation: Operation = .upsert, externalID: String? = nil, table: String? = nil,
        fields: [String: JSON]
    ) {
        self.key = key
        self.operation = operation
        self.externalID = externalID
        self.table = table
        mapped = MappedFields(fields)
    }

    init(key: String, operation: Operation, externalID: String?, table: String?, mapped: MappedFields) {
        self.key = key
        self.operation = operation
        self.externalID = externalID
        self.table = table
        self.mapped = mapped
    }

    public static func == (lhs: PushRecord, rhs: PushRecord) -> Bool {
        lhs.key == rhs.key && lhs.operation == rhs.operation && lhs.externalID == rhs.externalID
            && lhs.table == rhs.table && lhs.fields == rhs.fields
    }

    /// The record as the push batch carries it.
    public var json: JSON {
        var object: [String: JSON] = [
            "key": .string(key), "operation": .string(operation.rawValue), "fields": .object(fields),
        ]
        if let externalID { object["external_id"] = .string(externalID) }
        if let table { object["table"] = .string(table) }
        return .object(object)
    }
}

public struct PullRequest: Sendable, Equatable {
    /// Where the previous page ended; nil for the first page.
    public var checkpoint: String?
    public var pageSize: Int

    public init(checkpoint: String?, pageSize: Int) {
        self.checkpoint = checkpoint
        self.pageSize = pageSize
    }
}

public struct PullPage: Sendable, Equatable {
    public var records: [JSON]
    /// Where the next page starts; the host stores it only once this page's records are safely kept.
    public var checkpoint: String?
    public var hasMore: Bool

    public init(records: [JSON], checkpoint: String?, hasMore: Bool) {
        self.records = records
        self.checkpoint = checkpoint
        self.hasMore = hasMore
    }
}

/// An inventory event: `discovery`, `alert`, `compliance_change` or `certificate_expiry`.
public struct ConnectorEvent: Sendable, Equatable {
    public var type: String
    public var payload: JSON

    public init(type: String, payload: JSON) {
        self.type = type
        self.payload = payload
    }
}

/// The target's objects and their fields, as the mapping wizard shows them.
public struct TargetSchema: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var name: String
        public var fields: [(name: String, type: String)]

        public init(name: String, fields: [(name: String, type: String)]) {
            self.name = name
            self.fields = fields
        }

        public static func == (lhs: Table, rhs: Table) -> Bool {
            lhs.name == rhs.name && lhs.fields.map(\.name) == rhs.fields.map(\.name)
                && lhs.fields.map(\.type) == rhs.fields.map(\.type)
        }
    }

    public var tables: [Table]

    public init(tables: [Table]) { self.tables = tables }

    public var json: JSON {
        [
            "tables": .array(
                tables.map { table in
                    [
                        "name": .string(table.name),
                        "fields": .array(table.fields.map { ["name": .string($0.name), "type": .string($0.type)] }),
                    ]
                })
        ]
    }
}
