// Copyright (c) the Gatehouse authors
import GatehouseCore

/// Settings of the MariaDB backend. `description` never shows the password.
public struct MariaDBConfiguration: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// Where the server listens.
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public var endpoint: Endpoint
    public var username: String
    /// Never logged, never part of an error.
    public var password: String
    /// The database (schema) to use; `nil` connects without one (e.g. to create databases).
    public var database: String?
    /// Upper bound on open connections (default 8).
    public var maxConnections: Int
    /// How long a borrower waits for a free connection before ``StorageError/Code/poolTimeout`` (default 5 s).
    public var acquireTimeout: Duration
    /// TCP/socket connect and handshake timeout (default 10 s).
    public var connectTimeout: Duration
    /// Longest wait for a server reply (default 60 s): above InnoDB's 50 s lock wait timeout, so a lock
    /// wait ends as ``StorageError/Code/busy`` from the server rather than as a dropped connection.
    public var readTimeout: Duration
    /// Longest wait to send a request (default 60 s).
    public var writeTimeout: Duration
    /// Prepared statements kept per connection (default 64; 0 disables the cache).
    public var statementCacheCapacity: Int

    public init(
        endpoint: Endpoint,
        username: String,
        password: String,
        database: String?,
        maxConnections: Int = 8,
        acquireTimeout: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(10),
        readTimeout: Duration = .seconds(60),
        writeTimeout: Duration = .seconds(60),
        statementCacheCapacity: Int = 64
    ) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.statementCacheCapacity = statementCacheCapacity
    }

    /// Parses a database URL; other settings take their defaults.
    ///
    /// Accepted forms (scheme `mysql` or `mariadb`):
    /// - `mysql://user:password@host:port/database` — TCP; port defaults to 3306; `[::1]` for IPv6;
    /// - `mysql://user:password@localhost/database?socket=/path/to/mysqld.sock` — unix socket.
    ///
    /// User, password, database and socket path are percent-decoded (encode `@ : / ? # %` in a password).
    /// The database may be omitted (`…@host:port/`).
    ///
    /// - Throws: ``StorageError/Code/invalidConfiguration`` naming the faulty part, never its value.
    public init(url: String) throws(StorageError) {
        let parsed = try DatabaseURL.parseMariaDB(url)
        self.init(endpoint: parsed.endpoint, username: parsed.username, password: parsed.password, database: parsed.database)
    }

    public var description: String {
        let endpointText: String
        switch endpoint {
        case .tcp(let host, let port): endpointText = "\(host):\(port)"
        case .unixSocket(let path): endpointText = "socket \(path)"
        }
        return "MariaDBConfiguration(\(username)@\(endpointText)/\(database ?? ""), password: <redacted>, maxConnections: \(maxConnections))"
    }

    /// `dump()` and debuggers see the password redacted too.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "endpoint": endpoint, "username": username, "password": "<redacted>", "database": database as Any,
                "maxConnections": maxConnections, "acquireTimeout": acquireTimeout,
            ]
        )
    }
}

/// Parsing of database URLs. Errors name the faulty part but never echo the input (which may hold a
/// password, even in a malformed position).
enum DatabaseURL {
    struct MariaDBParts {
        var endpoint: MariaDBConfiguration.Endpoint
        var username: String
        var password: String
        var database: String?
    }

    static func invalid(_ message: String) -> StorageError {
        StorageError(code: .invalidConfiguration, message: message)
    }

    /// The scheme before `:`, lower-cased, when it is a plausible scheme name.
    static func scheme(of url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let scheme = url[..<colon]
        guard let first = scheme.first, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return scheme.lowercased()
    }

    static func parseMariaDB(_ url: String) throws(StorageError) -> MariaDBParts {
        guard let scheme = scheme(of: url), scheme == "mysql" || scheme == "mariadb" else {
            throw invalid("a MariaDB URL must start with mysql:// or mariadb://")
        }
        var rest = url.dropFirst(scheme.count + 1)
        guard rest.hasPrefix("//") else { throw invalid("a MariaDB URL must start with mysql:// or mariadb://") }
        rest = rest.dropFirst(2)
        if rest.contains("#") { throw invalid("the database URL must not have a fragment (#); percent-encode # in a password") }

        var query: Substring = ""
        if let questionMark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: questionMark)...]
            rest = rest[..<questionMark]
        }
        // The user info ends at the last "@" before the path, so an unencoded "@" in a password still works.
        let authorityEnd: Substring.Index
        if let at = rest.lastIndex(of: "@") {
            authorityEnd = rest[at...].firstIndex(of: "/") ?? rest.endIndex
        } else {
            authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        }
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]

        guard let at = authority.lastIndex(of: "@") else { throw invalid("the database URL has no user name (user:password@host)") }
        let userInfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]

        let rawUser: Substring
        let rawPassword: Substring
        if let colon = userInfo.firstIndex(of: ":") {
            rawUser = userInfo[..<colon]
            rawPassword = userInfo[userInfo.index(after: colon)...]
        } else {
            rawUser = userInfo
            rawPassword = ""
        }
        guard let username = PercentDecoding.decode(rawUser) else { throw invalid("the database URL's user name has malformed percent-encoding") }
        guard !username.isEmpty else { throw invalid("the database URL has no user name (user:password@host)") }
        guard let password = PercentDecoding.decode(rawPassword) else { throw invalid("the database URL's password has malformed percent-encoding") }

        var database: String?
        if !path.isEmpty {
            let name = path.dropFirst()  // the "/"
            guard let decoded = PercentDecoding.decode(name) else { throw invalid("the database URL's database name has malformed percent-encoding") }
            guard !decoded.contains("/") else { throw invalid("the database URL's path must be a single database name") }
            database = decoded.isEmpty ? nil : decoded
        }

        var socket: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts[0]
            let value = parts.count > 1 ? parts[1] : ""
            switch key {
            case "socket":
                guard let decoded = PercentDecoding.decode(value), decoded.hasPrefix("/") else {
                    throw invalid("the database URL's socket parameter must be an absolute path")
                }
                socket = decoded
            default:
                throw invalid("the database URL has an unknown parameter (only socket= is supported)")
            }
        }

        let (host, port) = try parseHostPort(hostPort)
        let endpoint: MariaDBConfiguration.Endpoint
        if let socket {
            guard host.isEmpty || host == "localhost", port == nil else {
                throw invalid("a database URL with socket= must use the host localhost and no port")
            }
            endpoint = .unixSocket(path: socket)
        } else {
            guard !host.isEmpty else { throw invalid("the database URL has no host") }
            endpoint = .tcp(host: host, port: port ?? 3306)
        }
        return MariaDBParts(endpoint: endpoint, username: username, password: password, database: database)
    }

    private static func parseHostPort(_ text: Substring) throws(StorageError) -> (host: String, port: Int?) {
        let host: Substring
        let portText: Substring?
        do {
            (host, portText) = try URLAuthority.splitHostPort(text)
        } catch {
            throw invalid(
                error == .unterminatedIPv6
                    ? "the database URL has an unterminated IPv6 address" : "the database URL has text after its IPv6 address"
            )
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy(\.isASCIIDigit), let value = Int(portText), (1...65535).contains(value) else {
                throw invalid("the database URL's port must be a number from 1 to 65535")
            }
            port = value
        }
        guard let decodedHost = PercentDecoding.decode(host) else { throw invalid("the database URL's host has malformed percent-encoding") }
        return (decodedHost, port)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
