// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import HTTPTypes
import LogTestSupport
import PayOS
import PayOSSandbox
import Payments
import Storage
import StorageTestSupport
import Tenancy
import Testing

extension GatewayAPITests {
    /// After a whole journey — an admin creates an owner, owners onboard and pay through the API, a renter opens the link
    /// and polls, payOS pays and posts the signed webhook, the e-mails go out — no secret the journey used is anywhere
    /// at rest: not in a log line, not in a `mariadb-dump` of the database, not in the SQLite file (with its WAL).
    /// Secrets: admin token, owner API keys, renter token, payOS API and checksum keys (the stored ones and ones a failed
    /// onboarding was given), webhook keys.
    @Suite struct SecretsAtRestTests {
        @Test(arguments: TestDatabases.backends)
        func noSecretOfAWholeJourneyIsInTheLogsOrTheDatabase(backend: TestBackend) async throws {
            let logs = LogCapture()
            try await GatewayHarness.run(backend, logs: logs) { gw in
                var secrets: [String: String] = [:]
                let admin = try await gw.components.adminTokens.create(name: "secrets-test", logger: gw.logger)
                secrets["admin token"] = admin.secret
                let adminBearer: HTTPFields = [.authorization: "Bearer \(admin.secret)"]

                // An admin creates an owner (its first API key comes back once); the owner tries to onboard with payOS
                // keys the proof cannot confirm here (payOS cannot reach the test's public URL) — they pass through.
                let created = try await gw.post("/admin/owners", #"{"name": "Nhà nghỉ Bí Mật", "email": "secret-owner@example.vn"}"#, headers: adminBearer)
                #expect(created.status == .created, "\(created.body)")
                let newKey = try #require(created.json?["api_key"]?.stringValue ?? created.json?["api_key"]?["secret"]?.stringValue)
                secrets["new owner's API key"] = newKey
                let unproven = SandboxChannel(
                    clientId: "gh-secret-client", apiKey: "unproven-api-key-\(UUID().uuidString)", checksumKey: "unproven-checksum-\(UUID().uuidString)")
                secrets["unproven payOS API key"] = unproven.apiKey
                secrets["unproven payOS checksum key"] = unproven.checksumKey
                let onboarding = try await gw.request(
                    .put, "/api/owner/payos-credentials", headers: [.authorization: "Bearer \(newKey)"],
                    body: #"{"client_id": "\#(unproven.clientId)", "api_key": "\#(unproven.apiKey)", "checksum_key": "\#(unproven.checksumKey)"}"#)
                #expect(onboarding.status == .unprocessableContent)

                // Owner A: payment, renter visit and poll, payOS pays and posts to A's own webhook URL.
                let owner = gw.ownerA
                let webhookKey = gw.components.credentials.webhookKeys.key(for: owner.owner)
                secrets["owner A's API key"] = owner.apiKey
                secrets["owner B's API key"] = gw.ownerB.apiKey
                secrets["payOS API key A"] = owner.channel.apiKey
                secrets["payOS checksum key A"] = owner.channel.checksumKey
                secrets["payOS checksum key B"] = gw.ownerB.channel.checksumKey
                secrets["webhook key A"] = webhookKey
                secrets["webhook key B"] = gw.components.credentials.webhookKeys.key(for: gw.ownerB.owner)
                try await gw.sandbox.addChannel(
                    SandboxChannel(
                        clientId: owner.channel.clientId, apiKey: owner.channel.apiKey, checksumKey: owner.channel.checksumKey,
                        accountName: "NHA TRO HOA SEN", webhookUrl: "\(gw.baseURL)/webhook/payos/\(webhookKey)"),
                    replace: true)
                let payment = try await gw.bookAndCreatePayment(owner)
                secrets["renter token"] = payment.token
                #expect(try await gw.get(payment.redirectURL, headers: [.accept: "text/html"]).status == .ok)
                #expect(try await gw.get("/payment/refresh-status/\(payment.paymentID)", headers: payment.cookie).status == .ok)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: owner.channel.clientId)
                try await gw.wait(timeout: .seconds(30), "the webhook settles the payment") {
                    try await gw.storedPayment(payment, of: owner)?.status == .success
                }
                try await gw.wait(timeout: .seconds(30), "the e-mails are sent") {
                    let statuses = try await gw.components.database.query("SELECT status FROM outbox", logger: gw.logger)
                        .map { try $0.decode("status", as: String.self) }
                    return !statuses.isEmpty && statuses.allSatisfy { $0 == "sent" }
                }
                // A wrong admin token and a wrong API key are refused and must not be logged either.
                secrets["wrong admin token"] = "gha_wrongwrongwro_\(UUID().uuidString)"
                secrets["wrong API key"] = "gh_wrongwrongwro_\(UUID().uuidString)"
                _ = try await gw.get("/admin/owners", headers: [.authorization: "Bearer \(secrets["wrong admin token"]!)"])
                _ = try await gw.get("/api/payments", headers: [.authorization: "Bearer \(secrets["wrong API key"]!)"])

                // Logs.
                let logText = logs.text
                #expect(!logText.isEmpty)
                for (name, secret) in secrets {
                    #expect(!logText.contains(secret), "\(name) is in the logs")
                }
                // The database at rest.
                let stored = try Self.databaseAtRest(gw.components.configuration, backend: backend)
                #expect(stored.count > 10_000)
                for (name, secret) in secrets {
                    #expect(stored.firstRange(of: Array(secret.utf8)) == nil, "\(name) is in the \(backend) database")
                }
                // And the check itself can fail: what must be there is there.
                #expect(stored.firstRange(of: Array("secret-owner@example.vn".utf8)) != nil)
            }
        }

        /// The database's bytes as an attacker with a copy would have them: the SQLite file with its WAL, or a
        /// `mariadb-dump` of the MariaDB database (binary columns as raw bytes, one row per INSERT).
        static func databaseAtRest(_ configuration: GatehouseConfiguration, backend: TestBackend) throws -> [UInt8] {
            switch try DatabaseConfiguration(url: configuration.databaseURL, dataDirectory: configuration.dataDirectory) {
            case .sqlite(let sqlite):
                return [sqlite.path, sqlite.path + "-wal", sqlite.path + "-journal"].flatMap { path in
                    FileManager.default.contents(atPath: path).map { Array($0) } ?? []
                }
            case .mariadb(let mariadb):
                var arguments = ["--user=\(mariadb.username)", "--skip-extended-insert", "--single-transaction", "--routines"]
                switch mariadb.endpoint {
                case .tcp(let host, let port): arguments += ["--host=\(host)", "--port=\(port)", "--protocol=TCP"]
                case .unixSocket(let path): arguments += ["--socket=\(path)"]
                }
                arguments.append(try #require(mariadb.database))
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/mariadb-dump")
                process.arguments = arguments
                process.environment = ["MYSQL_PWD": mariadb.password, "PATH": "/usr/bin:/bin"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                #expect(process.terminationStatus == 0)
                return Array(data)
            }
        }
    }
}
