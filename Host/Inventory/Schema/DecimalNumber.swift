extension Double {
    /// A finite decimal number such as `-12.5` or `1e3`. `Double(_:)` also reads `inf`, `nan` and hexadecimal
    /// floats (`0x1F`), which no inventory value means and SQLite would read as 0.
    init?(decimal text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.allSatisfy({ Self.decimalBytes.contains($0) }), let number = Double(text),
            number.isFinite
        else { return nil }
        self = number
    }

    private static let decimalBytes = Set("0123456789+-.eE".utf8)
}
