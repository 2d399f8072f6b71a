import GRDB
import GRDBSQLite

/// Runs a GRDB prepared statement with values bound through SQLite's C API. A bulk ingest writes a row per record
/// and an event per change; GRDB's boxing of each argument costs more than SQLite's insert itself.
struct Binder {
    let handle: OpaquePointer
    private var index: Int32 = 1
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(handle: OpaquePointer) { self.handle = handle }

    mutating func text(_ value: String?) {
        defer { index += 1 }
        guard var value else { return _ = sqlite3_bind_null(handle, index) }
        value.withUTF8 { utf8 in
            _ = utf8.withMemoryRebound(to: CChar.self) {
                sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), Binder.transient)
            }
        }
    }

    mutating func text(bytes: [UInt8]) {
        defer { index += 1 }
        bytes.withUnsafeBufferPointer { buffer in
            _ = buffer.withMemoryRebound(to: CChar.self) {
                sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), Binder.transient)
            }
        }
    }

    mutating func integer(_ value: Int?) {
        defer { index += 1 }
        guard let value else { return _ = sqlite3_bind_null(handle, index) }
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    mutating func real(_ value: Double?) {
        defer { index += 1 }
        guard let value else { return _ = sqlite3_bind_null(handle, index) }
        sqlite3_bind_double(handle, index, value)
    }
}

extension Statement {
    /// Binds with `bind`, steps once, and resets; throws SQLite's error if the step fails.
    func execute(binding bind: (inout Binder) -> Void) throws {
        let handle = sqliteStatement
        sqlite3_reset(handle)
        var binder = Binder(handle: handle)
        bind(&binder)
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }
}
