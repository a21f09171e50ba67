// Copyright (c) the Gatehouse authors
import Storage
import Testing

/// Turning a database URL into a backend, and refusing bad ones without leaking the password.
@Suite struct DatabaseConfigurationTests {
    @Test(arguments: [nil, "", "  "])
    func missingURLSelectsTheSQLiteFileInTheDataDirectory(url: String?) throws {
        let configuration = try DatabaseConfiguration(url: url, dataDirectory: "/var/lib/gatehouse")
        #expect(configuration == .sqlite(SQLiteConfiguration(path: "/var/lib/gatehouse/gatehouse.sqlite")))
    }

    @Test func sqliteURLsGiveAbsoluteAndRelativePaths() throws {
        #expect(try DatabaseConfiguration(url: "sqlite:///srv/data/gh.sqlite", dataDirectory: "/x") == .sqlite(SQLiteConfiguration(path: "/srv/data/gh.sqlite")))
        #expect(try DatabaseConfiguration(url: "sqlite:data/gh.sqlite", dataDirectory: "/x") == .sqlite(SQLiteConfiguration(path: "data/gh.sqlite")))
        #expect(try DatabaseConfiguration(url: "SQLite:///tmp/a%20b.sqlite", dataDirectory: "/x") == .sqlite(SQLiteConfiguration(path: "/tmp/a b.sqlite")))
    }

    @Test func mysqlURLGivesATCPEndpointWithDecodedCredentials() throws {
        let configuration = try MariaDBConfiguration(url: "mysql://gate%40house:p%40ss%3Aw%2Fd@db.internal:3307/gatehouse")
        #expect(configuration.endpoint == .tcp(host: "db.internal", port: 3307))
        #expect(configuration.username == "gate@house")
        #expect(configuration.password == "p@ss:w/d")
        #expect(configuration.database == "gatehouse")
        #expect(configuration.maxConnections == 8)
        #expect(configuration.acquireTimeout == .seconds(5))
    }

    @Test func mariadbURLDefaultsThePortAndAllowsNoDatabase() throws {
        let configuration = try MariaDBConfiguration(url: "mariadb://gatehouse:pw@127.0.0.1/")
        #expect(configuration.endpoint == .tcp(host: "127.0.0.1", port: 3306))
        #expect(configuration.database == nil)
        let ipv6 = try MariaDBConfiguration(url: "mysql://u:pw@[::1]:3310/db")
        #expect(ipv6.endpoint == .tcp(host: "::1", port: 3310))
    }

    @Test func socketParameterGivesAUnixSocketEndpoint() throws {
        let configuration = try MariaDBConfiguration(url: "mysql://gatehouse:pw@localhost/gatehouse?socket=/run/mysqld/mysqld.sock")
        #expect(configuration.endpoint == .unixSocket(path: "/run/mysqld/mysqld.sock"))
        #expect(configuration.database == "gatehouse")
    }

    @Test func mysqlURLSelectsMariaDB() throws {
        let configuration = try DatabaseConfiguration(url: "mysql://u:pw@h/db", dataDirectory: "/x")
        guard case .mariadb(let mariaDB) = configuration else {
            Issue.record("expected MariaDB")
            return
        }
        #expect(mariaDB.endpoint == .tcp(host: "h", port: 3306))
    }

    static let secret = "Sup3r-Secret-pw"

    @Test(arguments: [
        ("postgres://u:\(secret)@h/db", "scheme"),
        ("u:\(secret)@h/db", "scheme"),
        ("mysql:u:\(secret)@h/db", "mysql://"),
        ("mysql://h/db", "user"),
        ("mysql://:\(secret)@h/db", "user"),
        ("mysql://u:\(secret)@h:99999/db", "port"),
        ("mysql://u:\(secret)@h:12ab/db", "port"),
        ("mysql://u:\(secret)@/db", "host"),
        ("mysql://u:\(secret)%zz@h/db", "password"),
        ("mysql://u:\(secret)@h/db?sslmode=require", "parameter"),
        ("mysql://u:\(secret)@h/db?socket=relative.sock", "socket"),
        ("mysql://u:\(secret)@db.internal:3306/db?socket=/run/x.sock", "localhost"),
        ("mysql://u:\(secret)@h/a/b", "path"),
        ("mysql://u:\(secret)@h/db#frag", "fragment"),
        ("sqlite://host/path.sqlite", "host"),
        ("sqlite:", "path"),
    ])
    func malformedURLsAreRejectedNamingTheProblemButNotThePassword(url: String, mentions: String) {
        do {
            _ = try DatabaseConfiguration(url: url, dataDirectory: "/x")
            Issue.record("accepted \(url)")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.description.contains(mentions), "\(error.description)")
            #expect(!error.description.contains(Self.secret))
            #expect(!String(reflecting: error).contains(Self.secret))
        }
    }

    @Test func descriptionsRedactThePassword() throws {
        let configuration = try DatabaseConfiguration(url: "mysql://gatehouse:\(Self.secret)@h:3306/db", dataDirectory: "/x")
        #expect(!"\(configuration)".contains(Self.secret))
        #expect(!String(reflecting: configuration).contains(Self.secret))
        #expect("\(configuration)".contains("gatehouse@h:3306/db"))
    }
}
