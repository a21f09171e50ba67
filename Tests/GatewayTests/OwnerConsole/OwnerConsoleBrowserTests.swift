// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import HTTPTypes
import PayOS
import PayOSSandbox
import StorageTestSupport
import Tenancy
import Testing

extension GatewayAPITests {
    /// The owner console in a real browser: headless Chromium (driven over the DevTools protocol by
    /// `Browser/owner-console-walk.py`) signs in with owner A's API key, opens the overview and payments, downloads the
    /// CSV, creates and revokes a key, and screenshots each page into `/tmp/gatehouse-owner-e2e/<backend>/`.
    ///
    /// Needs `chromium`: skipped locally without it, failing when `CI=true` (the dashboard browser test's policy).
    @Suite(.enabled(if: OwnerConsoleBrowser.shouldRun, "owner console browser test skipped: chromium not installed (apt-get install chromium)"))
    struct OwnerConsoleBrowserTests {
        @Test(arguments: TestDatabases.backends)
        func anOwnerSignsInDownloadsTheCSVCreatesAndRevokesAKeyAndEveryPageIsAccessible(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                let day = OwnerConsoleTests.dayStart
                try await ConsoleFixtures.insert(h, .init(owner: h.ownerA.id, orderCode: 11, createdAt: day + 3_600_000, renterName: "Lê Thị Hồng"))
                try await ConsoleFixtures.insert(h, .init(owner: h.ownerA.id, orderCode: 12, createdAt: h.components.clock.now() - 3_600_000))
                try await ConsoleFixtures.insert(h, .init(owner: h.ownerB.id, orderCode: 13, createdAt: day + 7_200_000, renterName: "Khách của B"))
                let output = URL(fileURLWithPath: "/tmp/gatehouse-owner-e2e", isDirectory: true).appendingPathComponent(backend.rawValue)
                try? FileManager.default.removeItem(at: output)
                let result = try await PythonScript.run([
                    OwnerConsoleBrowser.scriptPath, h.baseURL, h.ownerA.apiKey, "2026-11-30", "2026-11-30", output.path,
                ])
                try #require(result.status == 0, "owner-console-walk failed: \(result.stderr)")
                let report = try #require(try? JSONValue(parsing: result.stdout), "not JSON: \(result.stdout)")
                let shots = try #require(report["screenshots"]?.objectValue)
                #expect(shots.keys.sorted() == [
                    "01-sign-in", "02-overview", "03-payments", "04-api-keys", "05-key-created", "06-key-revoked", "07-credentials", "08-overview-vi",
                ])
                for (name, path) in shots.entries {
                    let data = try #require(FileManager.default.contents(atPath: path.stringValue ?? ""), "\(name) missing")
                    #expect(data.count > 1000, "\(name) is \(data.count) bytes")
                    #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name) is a PNG")
                }
                for (name, problems) in try #require(report["accessibility"]?.objectValue).entries {
                    #expect(problems.arrayValue?.isEmpty == true, "\(name): \(problems)")
                }
                // The CSV the browser downloaded with its session: BOM, header, A's payment of that day only, text intact.
                let csv = try #require(report["csv"])
                #expect(csv["status"]?.int64Value == 200 && csv["bom"]?.boolValue == true)
                let text = try #require(csv["text"]?.stringValue)
                let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(lines.count == 2 && lines[0].hasPrefix("\u{FEFF}payment_id,"))
                #expect(lines[1].contains("Lê Thị Hồng") && lines[1].contains(",500000,500000,success,") && !text.contains("Khách của B"))
                // The key the page showed once worked until the walk revoked it.
                let secret = try #require(report["new_key"]?.stringValue)
                let prefix = try #require(PrefixedToken.prefix(of: secret, scheme: "gh"))
                let keys = try await h.components.apiKeys.list(owner: h.ownerA.id, logger: h.logger)
                #expect(keys.first { $0.prefix == prefix }?.name == "Máy quầy lễ tân")
                #expect(keys.first { $0.prefix == prefix }?.revokedAt != nil)
                #expect(try await h.get("/api/owner/api-keys", headers: [.authorization: "Bearer \(secret)"]).status == .unauthorized)
                #expect(report["pages"]?["06-key-revoked"]?.stringValue?.contains("done=keyRevoked") == true)
            }
        }
    }
}

enum OwnerConsoleBrowser {
    static let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/owner-console-walk.py").path

    static var shouldRun: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let hasChromium = path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/chromium") }
        return ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true" || hasChromium
    }
}
