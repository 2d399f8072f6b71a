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
    fileprivate func withText<T>(_ body: () -> T) -> T {
        scratch.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                for (index, offset, count) in texts {
                    sqlite3_bind_text(handle, index, characters.baseAddress! + offset, Int32(count), nil)
                }
                return body()
            }
        }
    }
}

extension Statement {
    /// Binds with `bind`, steps once, and resets; throws SQLite's error if the step fails.
    public func execute(binding bind: (inout Binder) -> Void) throws {
        let handle = sqliteStatement
        sqlite3_reset(handle)
        var binder = Binder(handle: handle)
        bind(&binder)
        let code = binder.withText {
            defer {
                sqlite3_reset(handle)
                sqlite3_clear_bindings(handle)  // the text bound above does not outlive this call
            }
            return sqlite3_step(handle)
        }
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }
}
