// Copyright (c) the Gatehouse authors
import CSQLite
import Synchronization

/// One `sqlite3*` connection and its prepared-statement cache. Every method blocks and is only called
/// on the database's thread pool.
///
/// Sendable without `@unchecked`: the raw `sqlite3*` and `sqlite3_stmt*` pointers live inside a `Mutex`,
/// so they are only touched by one thread at a time, which is the rule for a connection opened with
/// `SQLITE_OPEN_NOMUTEX`. The pool leases a connection to one borrower at a time, so the lock is
/// never contended; it turns "one user at a time" from a convention into a guarantee. `close()` sets the
/// pointer to nil so a use after close fails cleanly instead of touching freed memory.
final class SQLiteConnectionHandle: BlockingPoolConnection {
    private struct State {
        var db: OpaquePointer?
        var statements: StatementCache<OpaquePointer>
    }

    private let state: Mutex<State>

    private init(db: sending OpaquePointer, statementCacheCapacity: Int) {
        self.state = Mutex(State(db: db, statements: StatementCache(capacity: statementCacheCapacity)))
    }

    /// Opens the file (created if missing) and applies the connection settings.
    static func open(configuration: SQLiteConfiguration) throws(StorageError) -> SQLiteConnectionHandle {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(configuration.path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let detail = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw StorageError(code: .connectionFailed, message: "the SQLite database file could not be opened", detail: "sqlite3_open_v2 \(rc): \(detail)")
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, configuration.busyTimeout.millisecondsClamped)

        let handle = SQLiteConnectionHandle(db: db, statementCacheCapacity: configuration.statementCacheCapacity)
        do throws(StorageError) {
            // WAL: readers never block the writer and vice versa; one writer at a time.
            let mode = try handle.run(SQLQuery(unsafeSQL: "PRAGMA journal_mode = WAL"), cache: false).rows
            guard case .text(let value)? = mode.first?.values.first, value.lowercased() == "wal" else {
                throw StorageError(code: .connectionFailed, message: "the SQLite database could not switch to WAL mode")
            }
            try handle.run("PRAGMA foreign_keys = ON", cache: false)
            // FULL: a committed payment survives a power cut too (WAL + NORMAL could lose the last commits).
            try handle.run("PRAGMA synchronous = FULL", cache: false)
        } catch {
            handle.close()
            throw error
        }
        return handle
    }

    var isReusable: Bool {
        state.withLock { $0.db != nil }
    }

    /// `true` while a transaction is open on this connection (`BEGIN` without `COMMIT`/`ROLLBACK`).
    var isInTransaction: Bool {
        state.withLock { state in
            guard let db = state.db else { return false }
            return sqlite3_get_autocommit(db) == 0
        }
    }

    func close() {
        state.withLock { state in
            state.statements.removeAll { sqlite3_finalize($0) }
            if let db = state.db { sqlite3_close_v2(db) }
            state.db = nil
        }
    }

    /// Prepares (or reuses), binds, steps to completion and resets one statement.
    @discardableResult
    func run(_ query: SQLQuery, cache: Bool = true) throws(StorageError) -> (rows: [SQLRow], execution: SQLExecution) {
        try state.withLock { (state: inout State) throws(StorageError) in
            guard let db = state.db else { throw StorageError(code: .connectionLost, message: "the connection is closed") }
            let cache = cache && state.statements.capacity > 0
            let stmt = try Self.statement(for: query.sql, db: db, state: &state, cache: cache)
            defer {
                sqlite3_reset(stmt)
                sqlite3_clear_bindings(stmt)
                if !cache { sqlite3_finalize(stmt) }
            }
            try Self.bind(query.binds, to: stmt, db: db)

            let changesBefore = sqlite3_total_changes64(db)
            var rows: [SQLRow] = []
            var columns: [String]?
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw Self.error(db: db, code: rc) }
                let names = columns ?? Self.columnNames(stmt)
                columns = names
                rows.append(SQLRow(columns: names, values: Self.rowValues(stmt, count: names.count)))
            }
            let changed = sqlite3_total_changes64(db) != changesBefore
            let affected = changed ? Int(sqlite3_changes64(db)) : 0
            // sqlite3_last_insert_rowid is sticky across statements: only report it for an INSERT that wrote.
            let isInsert = sqlite3_stmt_readonly(stmt) == 0 && Self.startsWithInsert(query.sql)
            let lastID: Int64? = isInsert && affected > 0 ? sqlite3_last_insert_rowid(db) : nil
            return (rows, SQLExecution(affectedRows: affected, lastInsertID: lastID))
        }
    }

    // MARK: Statements

    private static func statement(for sql: String, db: OpaquePointer, state: inout State, cache: Bool) throws(StorageError) -> OpaquePointer {
        if cache, let cached = state.statements.lookup(sql) { return cached }
        var stmt: OpaquePointer?
        // The tail points into the temporary C string, so it is inspected inside `withCString`.
        let (rc, hasMoreStatements) = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v2(db, text, -1, &stmt, &tail)
            let rest = tail.map { String(cString: $0) } ?? ""
            return (rc, !rest.allSatisfy { $0.isWhitespace || $0 == ";" })
        }
        guard rc == SQLITE_OK else { throw error(db: db, code: rc) }
        guard let stmt else {
            throw StorageError(code: .statementFailed, message: "the statement is empty")
        }
        if hasMoreStatements {
            sqlite3_finalize(stmt)
            throw StorageError(code: .statementFailed, message: "a query must hold exactly one statement")
        }
        if cache {
            for evicted in state.statements.insert(sql, stmt) { sqlite3_finalize(evicted) }
        }
        return stmt
    }

    private static func bind(_ binds: [SQLValue], to stmt: OpaquePointer, db: OpaquePointer) throws(StorageError) {
        let expected = Int(sqlite3_bind_parameter_count(stmt))
        guard expected == binds.count else {
            throw StorageError(
                code: .statementFailed,
                message: "the statement has \(expected) placeholders but \(binds.count) values were bound"
            )
        }
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null:
                rc = sqlite3_bind_null(stmt, index)
            case .integer(let int):
                rc = sqlite3_bind_int64(stmt, index, int)
            case .text(var text):
                rc = text.withUTF8 { utf8 in
                    // An empty buffer may have a nil base address, which SQLite would bind as NULL.
                    guard let base = utf8.baseAddress, utf8.count > 0 else {
                        return sqlite3_bind_text64(stmt, index, "", 0, gatehouse_sqlite_transient(), UInt8(SQLITE_UTF8))
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                        sqlite3_bind_text64(stmt, index, $0, UInt64(utf8.count), gatehouse_sqlite_transient(), UInt8(SQLITE_UTF8))
                    }
                }
            case .blob(let bytes):
                if bytes.isEmpty {
                    rc = sqlite3_bind_zeroblob(stmt, index, 0)
                } else {
                    rc = bytes.withUnsafeBytes {
                        sqlite3_bind_blob64(stmt, index, $0.baseAddress, UInt64($0.count), gatehouse_sqlite_transient())
                    }
                }
            }
            guard rc == SQLITE_OK else { throw error(db: db, code: rc) }
        }
    }

    private static func columnNames(_ stmt: OpaquePointer) -> [String] {
        (0..<sqlite3_column_count(stmt)).map { index in
            sqlite3_column_name(stmt, index).map { String(cString: $0).lowercased() } ?? ""
        }
    }

    private static func rowValues(_ stmt: OpaquePointer, count: Int) -> [SQLValue] {
        (0..<Int32(count)).map { index in
            switch sqlite3_column_type(stmt, index) {
            case SQLITE_INTEGER:
                return .integer(sqlite3_column_int64(stmt, index))
            case SQLITE_TEXT:
                let length = Int(sqlite3_column_bytes(stmt, index))
                guard let text = sqlite3_column_text(stmt, index) else { return .text("") }
                return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
            case SQLITE_BLOB:
                let length = Int(sqlite3_column_bytes(stmt, index))
                guard length > 0, let blob = sqlite3_column_blob(stmt, index) else { return .blob([]) }
                return .blob(Array(UnsafeRawBufferPointer(start: blob, count: length)))
            case SQLITE_FLOAT:
                // Gatehouse stores no floating point; a computed REAL (e.g. AVG) reads as its text form.
                return .text(String(sqlite3_column_double(stmt, index)))
            default:
                return .null
            }
        }
    }

    private static func startsWithInsert(_ sql: String) -> Bool {
        let head = sql.drop { $0.isWhitespace || $0 == "(" }.prefix(7).uppercased()
        return head.hasPrefix("INSERT") || head.hasPrefix("REPLACE")
    }

    // MARK: Errors

    /// Extended result codes (SQLITE_CONSTRAINT_UNIQUE = SQLITE_CONSTRAINT | 8 << 8 …) are composite
    /// macros that do not import into Swift.
    private static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
    private static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
    private static let constraintRowID = SQLITE_CONSTRAINT | (10 << 8)

    static func error(db: OpaquePointer?, code rc: Int32) -> StorageError {
        let extended = db.map { sqlite3_extended_errcode($0) } ?? rc
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        let detail = "sqlite3 error \(extended): \(message)"
        switch extended & 0xFF {
        case SQLITE_CONSTRAINT:
            if [constraintPrimaryKey, constraintUnique, constraintRowID].contains(extended) {
                return StorageError(code: .duplicate, detail: detail)
            }
            return StorageError(code: .constraint, detail: detail)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return StorageError(code: .busy, detail: detail)
        default:
            return StorageError(code: .statementFailed, detail: detail)
        }
    }
}
