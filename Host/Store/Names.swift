/// Names of tenants and integrations: 1-64 ASCII letters, digits, '-' or '_', so they are safe in file paths, URLs,
/// logs and the command line alike.
public enum Names {
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
