// Copyright (c) the Gatehouse authors
import Foundation
import FuzzSupport
@testable import Storage

/// Row decoding of text columns: the input goes through a real database column and back through ``SQLRow`` decoding.
/// SQLite always (a file in a temporary directory, each input in a transaction that is rolled back); MariaDB too when
/// `GATEHOUSE_FUZZ_MARIADB_URL` names a server (`mysql://…`, no database: the target makes `gh_fuzz_<pid>` and drops it
/// at exit). MariaDB's row decoding has no pure function of its own (it is inline in the bound-result reader), so it is
/// fuzzed through the server like SQLite.
///
/// Invariants: a string (the input read as UTF-8, repaired) stored in a TEXT column reads back identical, byte for
/// byte, also through `CAST(… AS BLOB)`-style binary reads and an equality lookup; the raw input stored in a BLOB
/// column reads back identical, decodes as a `String` exactly when it is valid UTF-8; on SQLite its text cast decodes
/// to the repaired string; `Int64` decoding of the text agrees with `Int64.init(_:)`.
@_cdecl("FuzzStorageText_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let string = text(input)
    checkDecoders(input, string)
    sqliteRoundTrip(input, string)
    if let mariadb = Databases.mariadb { mariadbRoundTrip(mariadb, input, string) }
    return 0
}

private func checkDecoders(_ input: [UInt8], _ string: String) {
    invariant(String(sqlValue: .text(string)) == string, "String from .text changed")
    invariant([UInt8](sqlValue: .text(string)) == Array(string.utf8), "[UInt8] from .text is not its UTF-8")
    invariant([UInt8](sqlValue: .blob(input)) == input, "[UInt8] from .blob changed")
    let validated = String(validating: input, as: UTF8.self)
    invariant(String(sqlValue: .blob(input)) == validated, "String from .blob disagrees with UTF-8 validation")
    invariant(Int64(sqlValue: .text(string)) == Int64(string), "Int64 from .text disagrees with Int64(_:)")
    let row = SQLRow(columns: ["t"], values: [.text(string)])
    invariant((try? row.decode("t", as: String.self)) == string, "row decode changed the text")
    invariant((try? row.decode("missing", as: String.self)) == nil, "a missing column decoded")
}

enum Databases {
    static let sqliteDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-fuzz-\(getpid())")

    static let sqlite: SQLiteConnectionHandle = {
        let directory = sqliteDirectory
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Databases.sqliteDirectory) }
        let handle = try! SQLiteConnectionHandle.open(configuration: SQLiteConfiguration(path: directory.appendingPathComponent("fuzz.sqlite").path))
        try! handle.run("CREATE TABLE IF NOT EXISTS fuzz_text (id INTEGER PRIMARY KEY, t TEXT NULL, v VARCHAR(255) NULL, b BLOB NULL)")
        return handle
    }()

    static let mariadbName = "gh_fuzz_\(getpid())"

    static let mariadb: MariaDBConnectionHandle? = {
        guard let url = ProcessInfo.processInfo.environment["GATEHOUSE_FUZZ_MARIADB_URL"], !url.isEmpty else { return nil }
        var configuration = try! MariaDBConfiguration(url: url)
        configuration.database = nil
        let admin = try! MariaDBConnectionHandle.connect(configuration)
        _ = try! admin.run(SQLQuery(unsafeSQL: "CREATE DATABASE IF NOT EXISTS \(mariadbName) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
        admin.close()
        configuration.database = mariadbName
        let handle = try! MariaDBConnectionHandle.connect(configuration)
        _ = try! handle.run(
            SQLQuery(
                unsafeSQL: """
                    CREATE TABLE fuzz_text (id BIGINT AUTO_INCREMENT PRIMARY KEY, t LONGTEXT NULL, v VARCHAR(255) NULL, b LONGBLOB NULL)
                    ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
                    """
            )
        )
        atexit {
            _ = try? Databases.mariadb?.run(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(Databases.mariadbName)"))
        }
        return handle
    }()
}

private func sqliteRoundTrip(_ input: [UInt8], _ string: String) {
    let db = Databases.sqlite
    do {
        try db.run("BEGIN")
        defer { _ = try? db.run("ROLLBACK") }
        let varchar: String? = string.unicodeScalars.count <= 255 ? string : nil
        try db.run("INSERT INTO fuzz_text (id, t, v, b) VALUES (1, \(string), \(varchar), \(input))")
        let rows = try db.run("SELECT t, v, b, CAST(t AS BLOB) AS tb, CAST(b AS TEXT) AS bt FROM fuzz_text WHERE id = 1").rows
        invariant(rows.count == 1, "SQLite: \(rows.count) rows")
        let row = rows[0]
        try invariant(row.decode("t", as: String.self) == string, "SQLite: TEXT changed")
        try invariant(row.decodeIfPresent("v", as: String.self) == varchar, "SQLite: VARCHAR changed")
        try invariant(row.decode("tb", as: [UInt8].self) == Array(string.utf8), "SQLite: TEXT as BLOB is not its UTF-8")
        try invariant(row.decode("b", as: [UInt8].self) == input, "SQLite: BLOB changed")
        try invariant(row.decode("bt", as: String.self) == string, "SQLite: BLOB cast to TEXT is not the repaired string")
        let found = try db.run("SELECT id FROM fuzz_text WHERE t = \(string)").rows
        invariant(found.count == 1, "SQLite: equality lookup found \(found.count) rows")
    } catch {
        invariant(false, "SQLite refused a round trip: \(error)")
    }
}

private func mariadbRoundTrip(_ db: MariaDBConnectionHandle, _ input: [UInt8], _ string: String) {
    do {
        let varchar: String? = string.unicodeScalars.count <= 255 ? string : nil
        let inserted = try db.run("INSERT INTO fuzz_text (t, v, b) VALUES (\(string), \(varchar), \(input))").execution
        guard let id = inserted.lastInsertID else {
            invariant(false, "MariaDB: no insert id")
            return
        }
        defer { _ = try? db.run("DELETE FROM fuzz_text WHERE id = \(id)") }
        let rows = try db.run("SELECT t, v, b, CAST(t AS BINARY) AS tb FROM fuzz_text WHERE id = \(id)").rows
        invariant(rows.count == 1, "MariaDB: \(rows.count) rows")
        let row = rows[0]
        try invariant(row.decode("t", as: String.self) == string, "MariaDB: LONGTEXT changed")
        try invariant(row.decodeIfPresent("v", as: String.self) == varchar, "MariaDB: VARCHAR changed")
        try invariant(row.decode("tb", as: [UInt8].self) == Array(string.utf8), "MariaDB: TEXT as BINARY is not its UTF-8")
        try invariant(row.decode("b", as: [UInt8].self) == input, "MariaDB: LONGBLOB changed")
        let validated = String(validating: input, as: UTF8.self)
        invariant((try? row.decode("b", as: String.self)) == validated, "MariaDB: BLOB as String disagrees with UTF-8 validation")
    } catch {
        invariant(false, "MariaDB refused a round trip: \(error)")
    }
}
