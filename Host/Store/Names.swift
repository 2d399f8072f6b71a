import GRDB

/// Names of tenants and integrations: 1-64 ASCII letters, digits, '-' or '_', so they are safe in file paths, URLs,
/// logs and the command line alike.
public enum Names {
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// What a name belongs to, and the table it is the key of.
    public enum Kind: String, Sendable {
        case tenant, integration
    }

    /// Refuses a `name` not in use that differs from an existing one only in case. Names are case-sensitive, and a tenant
    /// "Acme" beside "acme" is a typo's doing far more often than a wish: an ingest would fill a second inventory
    /// that no integration of the first one pushes.
    public static func refuseCaseTwin(of name: String, _ kind: Kind, in db: Database) throws {
        let alike = try String.fetchAll(
            db, sql: "SELECT id FROM \(kind.rawValue) WHERE id = ? COLLATE NOCASE ORDER BY id", arguments: [name])
        guard !alike.contains(name), let twin = alike.first else { return }
        throw CaseTwin(
            description:
                "\(kind.rawValue) \(name) differs only in case from the existing \(kind.rawValue) \(twin): names are case-sensitive; use \(twin), or a name that differs in more than case"
        )
    }

    public struct CaseTwin: Error, CustomStringConvertible, Sendable {
        public let description: String
    }
}
