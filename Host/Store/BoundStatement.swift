import GRDB
import GRDBSQLite

/// Runs a GRDB prepared statement with values bound through SQLite's C API. A bulk ingest writes a row per record
/// and an event per change, a push an acknowledgement per record; GRDB's boxing of each argument costs more than SQLite's insert itself. Text is gathered
/// into one buffer and bound without SQLite copying it, which saves an allocation per column.
public struct Binder {
    let handle: OpaquePointer
    private var index: Int32 = 1
    /// Starts with one byte, so even a row of empty strings has an address to bind.
    private var scratch: [UInt8] = [0]
    private var texts: [(index: Int32, offset: Int, count: Int)] = []

    init(handle: OpaquePointer) {
        self.handle = handle
        scratch.reserveCapacity(1024)
        texts.reserveCapacity(24)
    }

    public mutating func text(_ value: String?) {
        defer { index += 1 }
        guard var value else { return _ = sqlite3_bind_null(handle, index) }
        value.withUTF8 { append($0) }
    }

    public mutating func text(bytes: [UInt8]) {
        defer { index += 1 }
        bytes.withUnsafeBufferPointer { append($0) }
    }

    public mutating func integer(_ value: Int?) {
        defer { index += 1 }
        guard let value else { return _ = sqlite3_bind_null(handle, index) }
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    public mutating func real(_ value: Double?) {
        defer { index += 1 }
        guard let value else { return _ = sqlite3_bind_null(handle, index) }
        sqlite3_bind_double(handle, index, value)
    }

    private mutating func append(_ utf8: UnsafeBufferPointer<UInt8>) {
        texts.append((index, scratch.count, utf8.count))
        scratch.append(contentsOf: utf8)
    }

    /// Binds the gathered text (valid only inside `body`, which steps the statement) and runs `body`.
    fileprivate func withText<T>(_ body: () throws -> T) rethrows -> T {
        try scratch.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { characters in
                for (index, offset, count) in texts {
                    sqlite3_bind_text(handle, index, characters.baseAddress! + offset, Int32(count), nil)
                }
                return try body()
            }
        }
    }
}

extension Statement {
    /// Binds with `bind` and runs the statement (an insert or update); throws SQLite's error if it fails.
    public func execute(binding bind: (inout Binder) -> Void) throws {
        try forEachRow(binding: bind) { _ in }
    }
}

/// A row of a statement being stepped, read in place: what it returns is copied out, the row itself is valid only
/// inside the closure that receives it.
public struct SteppedRow {
    let handle: OpaquePointer

    /// The column's text; nil for NULL.
    public func text(_ column: Int32) -> String? {
        withBytes(column) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Runs `body` with the column's text as UTF-8 bytes, read in place (nil for NULL); they must not escape it.
    public func withBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL, let text = sqlite3_column_text(handle, column) else {
            return try body(nil)
        }
        return try body(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))))
    }
}

extension Statement {
    /// Binds with `bind` and hands each row to `body` as it is stepped. A push reads a page of records for every
    /// batch; GRDB's row copies and lookups by column name cost more than the read itself.
    public func forEachRow(binding bind: (inout Binder) -> Void, _ body: (SteppedRow) throws -> Void) throws {
        let handle = sqliteStatement
        sqlite3_reset(handle)
        var binder = Binder(handle: handle)
        bind(&binder)
        let code = try binder.withText { () throws -> Int32 in
            defer {
                sqlite3_reset(handle)
                sqlite3_clear_bindings(handle)  // the text bound above does not outlive this call
            }
            while true {
                let code = sqlite3_step(handle)
                guard code == SQLITE_ROW else { return code }
                try body(SteppedRow(handle: handle))
            }
        }
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }
}
