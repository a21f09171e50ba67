// Copyright (c) the Gatehouse authors
import CMariaDB
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mysql_library_init` must run once per process before any other call; a `static let` initialiser runs
/// exactly once, thread-safely.
enum MariaDBLibrary {
    static let initialized: Bool = gatehouse_mysql_library_init() == 0
}

/// Why a statement failed, with what the borrower needs to decide whether to retry it elsewhere.
struct MariaDBStatementFailure: Error {
    var error: StorageError
    /// The connection is unusable (server gone, killed, protocol out of sync): close it.
    var connectionBroken: Bool
    /// The statement certainly had no effect on the server, or has none worth fearing (a read):
    /// safe to run again on another connection.
    var safeToRetry: Bool
    /// The server or client error number (0 when the failure was detected by Gatehouse itself).
    var errorNumber: UInt32 = 0

    /// The server changed the statement's tables since it was prepared: prepare it again.
    var needsReprepare: Bool {
        errorNumber == UInt32(CR_NEW_STMT_METADATA) || errorNumber == UInt32(ER_NEED_REPREPARE)
    }
}

/// One `MYSQL*` connection and its prepared-statement cache. Every method blocks and is only called on
/// the database's thread pool.
///
/// Sendable without `@unchecked`: the raw `MYSQL*` and `MYSQL_STMT*` pointers live inside a `Mutex`, so
/// only one thread touches them at a time — Connector/C's rule for a connection handle. The pool leases a
/// connection to one borrower at a time, so the lock is never contended; it makes "one user at a time"
/// a guarantee. `close()` sets the pointer to nil, so a use after close fails cleanly.
final class MariaDBConnectionHandle: BlockingPoolConnection {
    private struct State {
        var mysql: UnsafeMutablePointer<MYSQL>?
        var statements: StatementCache<UnsafeMutablePointer<MYSQL_STMT>>
        var broken = false
    }

    private let state: Mutex<State>
    /// The server's id for this connection (`CONNECTION_ID()`), for logs and `KILL`.
    let connectionID: UInt64

    private init(mysql: sending UnsafeMutablePointer<MYSQL>, connectionID: UInt64, statementCacheCapacity: Int) {
        self.connectionID = connectionID
        self.state = Mutex(State(mysql: mysql, statements: StatementCache(capacity: statementCacheCapacity)))
    }

    // MARK: Connecting

    /// Connects, then sets up the session (UTC, strict SQL mode, READ COMMITTED — see ``MariaDBDatabase``
    /// for why —, autocommit). Blocking: runs on the pool's thread pool.
    static func connect(_ configuration: MariaDBConfiguration) throws(StorageError) -> MariaDBConnectionHandle {
        guard MariaDBLibrary.initialized else {
            throw StorageError(code: .connectionFailed, message: "the MariaDB client library could not be initialised")
        }
        guard let mysql = mysql_init(nil) else {
            throw StorageError(code: .connectionFailed, detail: "mysql_init: out of memory")
        }
        var connectTimeout = configuration.connectTimeout.secondsAtLeastOne
        var readTimeout = configuration.readTimeout.secondsAtLeastOne
        var writeTimeout = configuration.writeTimeout.secondsAtLeastOne
        var off: my_bool = 0
        var localInfile: UInt32 = 0
        mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout)
        // Never reconnect behind our back: a silent reconnect loses the transaction and session settings.
        mysql_options(mysql, MYSQL_OPT_RECONNECT, &off)
        mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &localInfile)

        let host: String?
        let port: UInt32
        let socket: String?
        switch configuration.endpoint {
        case .tcp(let h, let p):
            host = h
            port = UInt32(p)
            socket = nil
        case .unixSocket(let path):
            host = "localhost"
            port = 0
            socket = path
        }
        // CLIENT_FOUND_ROWS: UPDATE reports matched rows, as SQLite does, not only rows whose value changed.
        let flags = UInt(CLIENT_FOUND_ROWS)
        let connected = mysql_real_connect(
            mysql, host, configuration.username, configuration.password, configuration.database, port, socket, flags
        )
        guard connected != nil else {
            let detail = scrub("MariaDB error \(mysql_errno(mysql)): \(String(cString: mysql_error(mysql)))", password: configuration.password)
            mysql_close(mysql)
            throw StorageError(code: .connectionFailed, message: "could not connect to MariaDB", detail: detail)
        }
        let handle = MariaDBConnectionHandle(
            mysql: mysql,
            connectionID: UInt64(mysql_thread_id(mysql)),
            statementCacheCapacity: configuration.statementCacheCapacity
        )
        do throws(MariaDBStatementFailure) {
            try handle.run(
                SQLQuery(
                    unsafeSQL: """
                        SET time_zone = '+00:00', autocommit = 1, \
                        sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,PIPES_AS_CONCAT'
                        """
                ),
                cache: false
            )
            try handle.run("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", cache: false)
        } catch {
            handle.close()
            throw StorageError(code: .connectionFailed, message: "could not set up the MariaDB session", detail: error.error.detail)
        }
        return handle
    }

    /// Removes the password from a message, in case a server or library ever echoes it.
    private static func scrub(_ text: String, password: String) -> String {
        guard password.count >= 4 else { return text }
        return text.replacingOccurrences(of: password, with: "<redacted>")
    }

    // MARK: State

    var isReusable: Bool {
        state.withLock { $0.mysql != nil && !$0.broken }
    }

    /// `true` while the server reports an open transaction on this session.
    var isInTransaction: Bool {
        state.withLock { state in
            guard let mysql = state.mysql, !state.broken else { return false }
            return mysql.pointee.server_status & UInt32(SERVER_STATUS_IN_TRANS) != 0
        }
    }

    /// A cheap check, with no round trip, that an idle connection was not closed by the server
    /// (`KILL CONNECTION`, restart, `wait_timeout`): between statements nothing may be waiting on the
    /// socket, so readable data or a hang-up means the server has gone. Marks the connection broken.
    func looksAlive() -> Bool {
        state.withLock { state in
            guard let mysql = state.mysql, !state.broken else { return false }
            let socket = mysql_get_socket(mysql)
            var descriptor = pollfd(fd: Int32(socket), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 0)
            if ready == 0 { return true }
            state.broken = true
            return false
        }
    }

    func close() {
        state.withLock { state in
            state.statements.removeAll { mysql_stmt_close($0) }
            if let mysql = state.mysql { mysql_close(mysql) }
            state.mysql = nil
        }
    }

    // MARK: Statements

    /// Runs one prepared statement: prepare (or reuse), bind, execute, fetch every row.
    @discardableResult
    func run(_ query: SQLQuery, cache: Bool = true) throws(MariaDBStatementFailure) -> (rows: [SQLRow], execution: SQLExecution) {
        try state.withLock { (state: inout State) throws(MariaDBStatementFailure) in
            guard let mysql = state.mysql, !state.broken else {
                throw MariaDBStatementFailure(
                    error: StorageError(code: .connectionLost, message: "the database connection was lost"),
                    connectionBroken: true,
                    safeToRetry: true
                )
            }
            let cache = cache && state.statements.capacity > 0
            var reprepared = false
            while true {
                let stmt: UnsafeMutablePointer<MYSQL_STMT>
                do throws(MariaDBStatementFailure) {
                    stmt = try Self.statement(for: query.sql, mysql: mysql, state: &state, cache: cache)
                } catch {
                    if error.connectionBroken { state.broken = true }
                    throw error
                }
                do throws(MariaDBStatementFailure) {
                    let output = try Self.execute(stmt, binds: query.binds, sql: query.sql)
                    if !cache { mysql_stmt_close(stmt) }
                    return output
                } catch {
                    // After any failure the statement's state is unknown: drop it rather than reuse it.
                    if cache { _ = state.statements.remove(query.sql) }
                    mysql_stmt_close(stmt)
                    if error.connectionBroken {
                        state.broken = true
                        throw error
                    }
                    if !reprepared, error.needsReprepare {
                        reprepared = true
                        continue
                    }
                    throw error
                }
            }
        }
    }

    private static func statement(
        for sql: String,
        mysql: UnsafeMutablePointer<MYSQL>,
        state: inout State,
        cache: Bool
    ) throws(MariaDBStatementFailure) -> UnsafeMutablePointer<MYSQL_STMT> {
        if cache, let cached = state.statements.lookup(sql) { return cached }
        guard let stmt = mysql_stmt_init(mysql) else {
            throw failure(errno: mysql_errno(mysql), message: String(cString: mysql_error(mysql)), executed: false, harmless: false)
        }
        let rc = sql.withCString { mysql_stmt_prepare(stmt, $0, UInt(strlen($0))) }
        guard rc == 0 else {
            let error = failure(stmt, executed: false, harmless: false)
            mysql_stmt_close(stmt)
            throw error
        }
        if cache {
            for evicted in state.statements.insert(sql, stmt) { mysql_stmt_close(evicted) }
        }
        return stmt
    }

    private static func execute(
        _ stmt: UnsafeMutablePointer<MYSQL_STMT>,
        binds: [SQLValue],
        sql: String
    ) throws(MariaDBStatementFailure) -> (rows: [SQLRow], execution: SQLExecution) {
        // Only statements with no effect of their own (reads, START TRANSACTION) may be re-sent after a lost
        // reply; a write — even one returning rows, like INSERT … RETURNING — may already have happened.
        let harmless = isHarmlessToRepeat(sql)
        let expected = Int(mysql_stmt_param_count(stmt))
        guard expected == binds.count else {
            throw MariaDBStatementFailure(
                error: StorageError(
                    code: .statementFailed,
                    message: "the statement has \(expected) placeholders but \(binds.count) values were bound"
                ),
                connectionBroken: false,
                safeToRetry: false
            )
        }
        let parameters = ParameterBindings(binds)
        if !binds.isEmpty, mysql_stmt_bind_param(stmt, parameters.binds) != 0 {
            throw failure(stmt, executed: false, harmless: harmless)
        }
        guard mysql_stmt_execute(stmt) == 0 else {
            throw failure(stmt, executed: true, harmless: harmless)
        }
        let fieldCount = Int(mysql_stmt_field_count(stmt))
        guard fieldCount > 0 else {
            let affected = mysql_stmt_affected_rows(stmt)
            let insertID = mysql_stmt_insert_id(stmt)
            return ([], SQLExecution(
                affectedRows: affected == UInt64.max ? 0 : Int(clamping: affected),
                lastInsertID: insertID == 0 ? nil : Int64(clamping: insertID)
            ))
        }
        guard let fields = mariadb_stmt_fetch_fields(stmt) else {
            throw failure(stmt, executed: true, harmless: harmless)
        }
        let results = ResultBindings(fields: fields, count: fieldCount)
        defer { mysql_stmt_free_result(stmt) }
        guard mysql_stmt_bind_result(stmt, results.binds) == 0 else {
            throw failure(stmt, executed: true, harmless: harmless)
        }
        var rows: [SQLRow] = []
        while true {
            let rc = mysql_stmt_fetch(stmt)
            if rc == MYSQL_NO_DATA { break }
            guard rc == 0 || rc == MYSQL_DATA_TRUNCATED else {
                throw failure(stmt, executed: true, harmless: harmless)
            }
            rows.append(SQLRow(columns: results.names, values: try results.rowValues(stmt, harmless: harmless)))
        }
        return (rows, SQLExecution(affectedRows: 0, lastInsertID: nil))
    }

    /// Statements with no lasting effect of their own, safe to send again after a lost reply: reads and
    /// session/transaction control. Judged on the statement's first word; anything else counts as a write.
    private static func isHarmlessToRepeat(_ sql: String) -> Bool {
        let firstWord = sql.drop(while: { $0.isWhitespace || $0 == "(" }).prefix { $0.isLetter }.uppercased()
        switch firstWord {
        case "SELECT", "SHOW", "SET":
            return true
        case "START":
            return sql.drop(while: \.isWhitespace).uppercased().hasPrefix("START TRANSACTION")
        default:
            return false
        }
    }

    // MARK: Errors

    static func failure(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, executed: Bool, harmless: Bool) -> MariaDBStatementFailure {
        failure(errno: mysql_stmt_errno(stmt), message: String(cString: mysql_stmt_error(stmt)), executed: executed, harmless: harmless)
    }

    /// Maps a server or client error number to a ``StorageError`` and decides whether the connection
    /// survives and whether the statement may be retried on another connection.
    static func failure(errno: UInt32, message: String, executed: Bool, harmless: Bool) -> MariaDBStatementFailure {
        let detail = "MariaDB error \(errno): \(message)"
        if isConnectionError(errno) {
            // Retry only when the statement cannot have taken effect: it never reached execution, the
            // request could not be sent (CR_SERVER_GONE_ERROR), the server had killed the session
            // (ER_CONNECTION_KILLED), or it has no effect of its own (a SELECT, START TRANSACTION). A write
            // whose reply was lost is not retried: it may have been committed.
            let notExecuted = !executed || errno == UInt32(CR_SERVER_GONE_ERROR) || errno == UInt32(ER_CONNECTION_KILLED)
            return MariaDBStatementFailure(
                error: StorageError(code: .connectionLost, message: "the database connection was lost", detail: detail),
                connectionBroken: true,
                safeToRetry: notExecuted || harmless,
                errorNumber: errno
            )
        }
        let code: StorageError.Code
        switch Int32(clamping: errno) {
        case ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME, ER_DUP_KEY:
            code = .duplicate
        case ER_NO_REFERENCED_ROW, ER_ROW_IS_REFERENCED, ER_ROW_IS_REFERENCED_2, ER_NO_REFERENCED_ROW_2, ER_BAD_NULL_ERROR,
            ER_CONSTRAINT_FAILED, ER_DATA_TOO_LONG, ER_WARN_DATA_OUT_OF_RANGE, ER_NO_DEFAULT_FOR_FIELD,
            ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
            code = .constraint
        case ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK:
            code = .busy
        default:
            code = .statementFailed
        }
        return MariaDBStatementFailure(
            error: StorageError(code: code, detail: detail),
            connectionBroken: false,
            safeToRetry: false,
            errorNumber: errno
        )
    }

    /// Errors after which the connection cannot be trusted: every client-side (CR_*) error except the
    /// few that only concern one statement's use of the API, and the server errors that end a session.
    private static let statementLocalClientErrors: Set<Int32> = [
            CR_NO_PREPARE_STMT, CR_PARAMS_NOT_BOUND, 2032 /* CR_DATA_TRUNCATED */, 2033 /* CR_NO_PARAMETERS_EXISTS */,
            CR_INVALID_PARAMETER_NO, CR_INVALID_BUFFER_USE, CR_UNSUPPORTED_PARAM_TYPE, CR_NO_DATA, CR_NO_STMT_METADATA,
            CR_NOT_IMPLEMENTED, CR_STMT_CLOSED, CR_NEW_STMT_METADATA, CR_OUT_OF_MEMORY,
    ]

    static func isConnectionError(_ errno: UInt32) -> Bool {
        let code = Int32(clamping: errno)
        switch code {
        case 2000...2999:
            return !statementLocalClientErrors.contains(code)
        case CR_ERR_NET_READ, CR_ERR_NET_WRITE, CR_ERR_NET_UNCOMPRESS:
            return true
        case ER_CONNECTION_KILLED, ER_SERVER_SHUTDOWN, 4031 /* ER_CLIENT_INTERACTION_TIMEOUT */:
            return true
        default:
            return false
        }
    }
}

// MARK: - Bindings

/// Parameter buffers for one execution. They must outlive `mysql_stmt_execute`, which reads them.
private final class ParameterBindings {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let count: Int
    private var allocations: [UnsafeMutableRawPointer] = []

    init(_ values: [SQLValue]) {
        count = max(values.count, 1)
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        for (index, value) in values.enumerated() {
            switch value {
            case .null:
                binds[index].buffer_type = MYSQL_TYPE_NULL
            case .integer(let int):
                let buffer = allocate(byteCount: 8)
                buffer.storeBytes(of: int, as: Int64.self)
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = buffer
                binds[index].buffer_length = 8
            case .text(let text):
                binds[index].buffer_type = MYSQL_TYPE_STRING
                set(index, bytes: text.utf8)
            case .blob(let bytes):
                binds[index].buffer_type = MYSQL_TYPE_BLOB
                set(index, bytes: bytes)
            }
        }
    }

    private func set(_ index: Int, bytes: some Collection<UInt8>) {
        let buffer = allocate(byteCount: bytes.count)
        buffer.copyMemory(from: Array(bytes), byteCount: bytes.count)
        binds[index].buffer = buffer
        binds[index].buffer_length = UInt(bytes.count)
    }

    private func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        // At least one byte: a nil buffer with length 0 would be sent as NULL rather than as ''.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 8)
        allocations.append(buffer)
        return buffer
    }

    deinit {
        for buffer in allocations { buffer.deallocate() }
        binds.deinitialize(count: count)
        binds.deallocate()
    }
}

/// Result buffers for one execution: integers as 64-bit values, everything else as bytes, with longer
/// values fetched whole through `mysql_stmt_fetch_column`.
private final class ResultBindings {
    private enum Kind {
        case integer(unsigned: Bool)
        case text
        case binary
    }

    /// Initial buffer per text/binary column; longer values are fetched again at their full length.
    private static let initialBufferSize = 512

    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let names: [String]
    private let count: Int
    private let kinds: [Kind]
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>
    private let errors: UnsafeMutablePointer<my_bool>
    private var buffers: [UnsafeMutableRawPointer] = []

    init(fields: UnsafeMutablePointer<MYSQL_FIELD>, count: Int) {
        self.count = count
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        nulls = .allocate(capacity: count)
        nulls.initialize(repeating: 0, count: count)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: 0, count: count)

        var names: [String] = []
        var kinds: [Kind] = []
        for index in 0..<count {
            let field = fields[index]
            names.append(
                field.name.map {
                    String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(field.name_length)), as: UTF8.self).lowercased()
                } ?? ""
            )
            let kind = Self.kind(of: field)
            kinds.append(kind)
            let size: Int
            switch kind {
            case .integer(let unsigned):
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].is_unsigned = unsigned ? 1 : 0
                size = 8
            case .text:
                binds[index].buffer_type = MYSQL_TYPE_STRING
                size = min(max(Int(field.length), 1), Self.initialBufferSize)
            case .binary:
                binds[index].buffer_type = MYSQL_TYPE_BLOB
                size = min(max(Int(field.length), 1), Self.initialBufferSize)
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            buffers.append(buffer)
            binds[index].buffer = buffer
            binds[index].buffer_length = UInt(size)
            binds[index].length = lengths + index
            binds[index].is_null = nulls + index
            binds[index].error = errors + index
        }
        self.names = names
        self.kinds = kinds
    }

    /// Only string and blob types with the binary character set (63) hold bytes: DECIMAL and date/time
    /// columns report charset 63 too, but are text.
    private static func kind(of field: MYSQL_FIELD) -> Kind {
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            return .integer(unsigned: field.flags & UInt32(UNSIGNED_FLAG) != 0)
        case MYSQL_TYPE_VARCHAR, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_STRING, MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB,
            MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB, MYSQL_TYPE_BIT, MYSQL_TYPE_GEOMETRY:
            return field.charsetnr == 63 ? .binary : .text
        default:
            return .text
        }
    }

    func rowValues(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, harmless: Bool) throws(MariaDBStatementFailure) -> [SQLValue] {
        var values: [SQLValue] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            if nulls[index] != 0 {
                values.append(.null)
                continue
            }
            switch kinds[index] {
            case .integer(let unsigned):
                let bits = buffers[index].load(as: UInt64.self)
                if unsigned, bits > UInt64(Int64.max) {
                    values.append(.text(String(bits)))
                } else {
                    values.append(.integer(Int64(bitPattern: bits)))
                }
            case .text:
                values.append(.text(String(decoding: try bytes(stmt, column: index, harmless: harmless), as: UTF8.self)))
            case .binary:
                values.append(.blob(try bytes(stmt, column: index, harmless: harmless)))
            }
        }
        return values
    }

    private func bytes(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, column index: Int, harmless: Bool) throws(MariaDBStatementFailure) -> [UInt8] {
        let length = Int(lengths[index])
        if length <= Int(binds[index].buffer_length) {
            return Array(UnsafeRawBufferPointer(start: buffers[index], count: length))
        }
        // Truncated: fetch the whole value into a buffer of its real length.
        var whole = [UInt8](repeating: 0, count: length)
        var fetchedLength: UInt = 0
        var isNull: my_bool = 0
        var truncated: my_bool = 0
        let rc = whole.withUnsafeMutableBytes { buffer in
            var bind = MYSQL_BIND()
            bind.buffer_type = binds[index].buffer_type
            bind.buffer = buffer.baseAddress
            bind.buffer_length = UInt(length)
            return withUnsafeMutablePointer(to: &fetchedLength) { lengthPointer in
                withUnsafeMutablePointer(to: &isNull) { nullPointer in
                    withUnsafeMutablePointer(to: &truncated) { errorPointer in
                        bind.length = lengthPointer
                        bind.is_null = nullPointer
                        bind.error = errorPointer
                        return mysql_stmt_fetch_column(stmt, &bind, UInt32(index), 0)
                    }
                }
            }
        }
        guard rc == 0 else { throw MariaDBConnectionHandle.failure(stmt, executed: true, harmless: harmless) }
        return whole
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        binds.deinitialize(count: count)
        binds.deallocate()
        lengths.deallocate()
        nulls.deallocate()
        errors.deallocate()
    }
}
