// Copyright (c) the Gatehouse authors
import GatehouseApp
import Storage
import Testing

/// Configuration is read from the environment once and refused, with the variable named, when it is unusable.
@Suite struct ConfigurationTests {
    // MARK: Tests

    @Test func defaultsNeedNoEnvironment() throws {
        let configuration = try GatehouseConfiguration(environment: [:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.dataDirectory == "./.gatehouse")
        #expect(configuration.databaseURL == nil)
        #expect(configuration.publicURL == "http://127.0.0.1:8080")
        #expect(configuration.payOSBaseURL == "https://api-merchant.payos.vn")
        #expect(configuration.payOSCheckoutURL == "https://pay.payos.vn/web/")
        #expect(configuration.paymentTTLSeconds == 900)
        #expect(configuration.checksumGraceSeconds == 86_400)
        #expect(configuration.idleTimeoutSeconds == 75)
        #expect(configuration.requestHeadTimeoutSeconds == 10)
        #expect(configuration.maxLongPolls == 512)
    }

    @Test func theDatabasePoolKeepsTheBackendsDefaultsUnlessSet() throws {
        let defaults = try GatehouseConfiguration(environment: ["GATEHOUSE_DATA_DIR": "/var/lib/gatehouse"]).database()
        #expect(defaults == .sqlite(SQLiteConfiguration(path: "/var/lib/gatehouse/gatehouse.sqlite")))

        let tuned: [String: String] = [
            "GATEHOUSE_DATABASE_POOL_SIZE": "16", "GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT_MS": "250", "GATEHOUSE_SQLITE_BUSY_TIMEOUT_MS": "1500",
        ]
        let sqlite = try GatehouseConfiguration(environment: tuned.merging(["GATEHOUSE_DATABASE_URL": "sqlite:///tmp/g.sqlite"]) { $1 })
        #expect(try sqlite.database() == .sqlite(SQLiteConfiguration(
            path: "/tmp/g.sqlite", maxConnections: 16, busyTimeout: .milliseconds(1_500), acquireTimeout: .milliseconds(250))))

        let url = "mysql://gatehouse:pw@db.internal:3306/gatehouse"
        let mariadb = try GatehouseConfiguration(environment: tuned.merging(["GATEHOUSE_DATABASE_URL": url]) { $1 })
        var expected = try MariaDBConfiguration(url: url)
        expected.maxConnections = 16
        expected.acquireTimeout = .milliseconds(250)
        #expect(try mariadb.database() == .mariadb(expected))
    }

    @Test func commandLineOptionsWinOverTheEnvironment() throws {
        let configuration = try GatehouseConfiguration(
            environment: ["GATEHOUSE_HOST": "0.0.0.0", "GATEHOUSE_PORT": "9000"], host: "127.0.0.2", port: 9100)
        #expect(configuration.host == "127.0.0.2")
        #expect(configuration.port == 9100)
    }

    @Test(arguments: [
        (["GATEHOUSE_PORT": "eighty"], "GATEHOUSE_PORT"),
        (["GATEHOUSE_PORT": "70000"], "GATEHOUSE_PORT"),
        (["GATEHOUSE_PUBLIC_URL": "gatehouse.example"], "GATEHOUSE_PUBLIC_URL"),
        (["GATEHOUSE_PAYOS_BASE_URL": "ftp://payos"], "GATEHOUSE_PAYOS_BASE_URL"),
        (["GATEHOUSE_DATABASE_URL": "postgres://u:p@h/db"], "GATEHOUSE_DATABASE_URL"),
        (["GATEHOUSE_SMTP_URL": "mail.example:25"], "GATEHOUSE_SMTP_URL"),
        (["GATEHOUSE_PAYMENT_TTL_SECONDS": "5"], "GATEHOUSE_PAYMENT_TTL_SECONDS"),
        (["GATEHOUSE_LOG_LEVEL": "loud"], "GATEHOUSE_LOG_LEVEL"),
        (["GATEHOUSE_MASTER_KEYS": "1:abc", "GATEHOUSE_MASTER_KEY_FILE": "/k"], "GATEHOUSE_MASTER_KEYS"),
        (["GATEHOUSE_IDLE_TIMEOUT_SECONDS": "0"], "GATEHOUSE_IDLE_TIMEOUT_SECONDS"),
        (["GATEHOUSE_REQUEST_HEAD_TIMEOUT_SECONDS": "301"], "GATEHOUSE_REQUEST_HEAD_TIMEOUT_SECONDS"),
        (["GATEHOUSE_MAX_LONG_POLLS": "0"], "GATEHOUSE_MAX_LONG_POLLS"),
        (["GATEHOUSE_DATABASE_POOL_SIZE": "0"], "GATEHOUSE_DATABASE_POOL_SIZE"),
        (["GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT_MS": "5s"], "GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT_MS"),
        (["GATEHOUSE_SQLITE_BUSY_TIMEOUT_MS": "-1"], "GATEHOUSE_SQLITE_BUSY_TIMEOUT_MS"),
    ])
    func unusableValuesAreRefusedNamingTheVariable(environment: [String: String], variable: String) {
        #expect(throws: ConfigurationError.self) { try GatehouseConfiguration(environment: environment) }
        do {
            _ = try GatehouseConfiguration(environment: environment)
        } catch {
            #expect(error.variable == variable)
            #expect(error.description.contains(variable))
        }
    }

    /// Owners' payOS keys and signed payment data travel to this URL: plain http only to this machine (the dev sandbox,
    /// the tests), never across a network.
    @Test(arguments: [
        "http://api-merchant.payos.vn", "http://10.0.0.5:8080", "http://127.0.0.1.nip.io", "http://127.1", "http://[::2]:9000",
        "http://localhost.example.com", "HTTP://payos.example", "http://0.0.0.0:8081",
    ])
    func anHTTPPayOSURLIsRefusedUnlessItsHostIsLoopback(url: String) {
        do {
            _ = try GatehouseConfiguration(environment: ["GATEHOUSE_PAYOS_BASE_URL": url])
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.variable == "GATEHOUSE_PAYOS_BASE_URL")
            #expect(error.description.contains("https://"))
        }
    }

    @Test(arguments: [
        "http://127.0.0.1:8081", "http://127.45.6.7", "http://localhost:9000", "http://LOCALHOST", "http://[::1]:8081",
        "https://api-merchant.payos.vn", "https://10.0.0.5:8443",
    ])
    func anHTTPSOrLoopbackPayOSURLIsAccepted(url: String) throws {
        #expect(try GatehouseConfiguration(environment: ["GATEHOUSE_PAYOS_BASE_URL": url]).payOSBaseURL == url)
    }

    /// A link recovered after payOS's code 231 is paid at `<checkout URL><paymentLinkId>`: the prefix ends with one `/`
    /// however it is written, and a renter is never sent over plain http across a network.
    @Test(arguments: [
        ("https://pay.payos.vn/web/", "https://pay.payos.vn/web/"), ("https://pay.payos.vn/web", "https://pay.payos.vn/web/"),
        ("http://127.0.0.1:8081/web//", "http://127.0.0.1:8081/web/"), ("http://localhost:9000/web", "http://localhost:9000/web/"),
    ])
    func theCheckoutURLIsAPrefixEndingInOneSlash(given: String, prefix: String) throws {
        #expect(try GatehouseConfiguration(environment: ["GATEHOUSE_PAYOS_CHECKOUT_URL": given]).payOSCheckoutURL == prefix)
    }

    @Test(arguments: [
        "http://pay.payos.vn/web/", "http://10.0.0.5:8081/web/", "ftp://pay.payos.vn/web/", "pay.payos.vn/web/",
        "https://pay.payos.vn/web/?x=1", "https://pay.payos.vn/web/#top",
    ])
    func anUnsafeOrMalformedCheckoutURLIsRefused(url: String) {
        do {
            let configuration = try GatehouseConfiguration(environment: ["GATEHOUSE_PAYOS_CHECKOUT_URL": url])
            Issue.record("\(url) was accepted as \(configuration.payOSCheckoutURL)")
        } catch {
            #expect(error.variable == "GATEHOUSE_PAYOS_CHECKOUT_URL")
        }
    }

    /// `gatehouse dev` sends both payOS's API and its checkout to the in-process sandbox: a link recovered there exists
    /// nowhere else.
    @Test func devModePointsTheCheckoutAtTheSandbox() throws {
        var configuration = try GatehouseConfiguration(environment: ["GATEHOUSE_PAYOS_CHECKOUT_URL": "https://pay.payos.vn/web/"])
        configuration.useLocalSandbox(port: 8081)
        #expect(configuration.payOSBaseURL == "http://127.0.0.1:8081")
        #expect(configuration.payOSCheckoutURL == "http://127.0.0.1:8081/web/")
        #expect(configuration.description.contains("payOSCheckout=http://127.0.0.1:8081/web/"))
    }

    @Test func secretsNeverAppearInTheDescriptionOrErrors() throws {
        let secret = "s3cr3t-Passw0rd"
        let configuration = try GatehouseConfiguration(environment: [
            "GATEHOUSE_DATABASE_URL": "mysql://gatehouse:\(secret)@db.internal:3306/gatehouse",
            "GATEHOUSE_MASTER_KEYS": "1:\(secret)",
            "GATEHOUSE_SMTP_URL": "smtp://mailer:\(secret)@smtp.example:587",
        ])
        #expect(!configuration.description.contains(secret))
        #expect(configuration.description.contains("db.internal:3306"))
        do {
            _ = try GatehouseConfiguration(environment: ["GATEHOUSE_DATABASE_URL": "postgres://u:\(secret)@h/db"])
            Issue.record("an unsupported scheme was accepted")
        } catch {
            #expect(!error.description.contains(secret))
        }
    }
}
