// Copyright (c) the Gatehouse authors
import GatehouseApp
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
        #expect(configuration.paymentTTLSeconds == 900)
        #expect(configuration.checksumGraceSeconds == 86_400)
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
