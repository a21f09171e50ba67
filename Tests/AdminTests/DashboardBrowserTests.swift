// Copyright (c) the Gatehouse authors
import Admin
import Foundation
import GatehouseTestSupport
import Storage
import Vault
import PayOSSandbox
import GatehouseApp
import PayOS
import StorageTestSupport
import Tenancy
import Testing
import GatehouseCore

extension AdminSuites {
    /// The dashboard in a real browser: headless Chromium (driven over the DevTools protocol by
    /// `Browser/dashboard-walk.py`) signs in with an admin token, sees the overview, searches, sorts and pages the owners
    /// list (60 more owners, so there is a second page), changes owner A's rate limit through the form, and screenshots
    /// each page. Screenshots are kept in `/tmp/gatehouse-admin-e2e/` for a person to look at.
    ///
    /// Needs `chromium`: skipped locally without it, failing when `CI=true` (the renter browser tests' policy).
    @Suite(.enabled(if: DashboardBrowser.shouldRun, "dashboard browser test skipped: chromium not installed (apt-get install chromium)"))
    struct DashboardBrowserTests {
        @Test(arguments: TestDatabases.backends)
        func anAdminSignsInChangesARateLimitAndEveryPageRenders(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                for index in 1...60 {
                    _ = try await h.components.owners.create(name: "Chủ \(index)", email: "chu\(index)@example.vn", logger: h.logger)
                }
                try await h.components.adminStats.refresh(logger: h.logger)
                let output = DashboardBrowser.outputDirectory.appendingPathComponent(backend.rawValue)
                try? FileManager.default.removeItem(at: output)
                let result = try await DashboardBrowser.run([
                    DashboardBrowser.scriptPath, h.baseURL, h.adminToken.secret, String(h.ownerA.id.rawValue), "12", "40", output.path,
                ])
                try #require(result.status == 0, "dashboard-walk failed: \(result.stderr)")
                let report = try #require(try? JSONValue(parsing: result.stdout), "not JSON: \(result.stdout)")
                let shots = try #require(report["screenshots"]?.objectValue)
                #expect(shots.keys.sorted() == [
                    "01-sign-in", "02-overview", "03-owners", "04-owners-search", "05-owners-sorted", "06-owners-next-page", "07-owner-before",
                    "08-owner-after", "09-vault", "10-notifications", "11-audit", "12-owners-vi", "13-overview-vi",
                ])
                // The search found owner A alone; sorted by volume, the second page holds the last 12 of 62 owners.
                #expect(report["pages"]?["search_rows"]?.int64Value == 1)
                #expect(report["pages"]?["04-owners-search"]?.stringValue?.contains("q=Hoa+Sen") == true)
                #expect(report["pages"]?["05-owners-sorted"]?.stringValue?.contains("sort=volume") == true)
                #expect(report["pages"]?["06-owners-next-page"]?.stringValue?.contains("after=") == true)
                #expect(report["pages"]?["next_rows"]?.int64Value == 12)
                for (name, path) in shots.entries {
                    let data = try #require(FileManager.default.contents(atPath: path.stringValue ?? ""), "\(name) missing")
                    #expect(data.count > 1000, "\(name) is \(data.count) bytes")
                    #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name) is a PNG")
                }
                // Every page passes the accessibility checks (one h1, labelled fields, alt text, contrast).
                for (name, problems) in try #require(report["accessibility"]?.objectValue).entries {
                    #expect(problems.arrayValue?.isEmpty == true, "\(name): \(problems)")
                }
                #expect(report["pages"]?["08-owner-after"]?.stringValue?.contains("done=saved") == true)
                #expect(report["pages"]?["rate_limit_shown"]?.stringValue?.contains("12/s") == true)
                // The form really changed the stored limit, for owner A only, and the change is audited.
                let store = h.components.rateLimits
                #expect(try await store.get(owner: h.ownerA.id, logger: h.logger).map { [$0.requestsPerSecond, $0.burst] } == [12, 40])
                #expect(try await store.get(owner: h.ownerB.id, logger: h.logger) == nil)
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.setRateLimit).first?.actor == "admin:\(h.adminToken.prefix)")
            }
        }
    }
}

enum DashboardBrowser {
    static let outputDirectory = URL(fileURLWithPath: "/tmp/gatehouse-admin-e2e", isDirectory: true)
    static let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/dashboard-walk.py").path

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true" }
    static var hasChromium: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/chromium") }
    }
    static var shouldRun: Bool { isCI || hasChromium }

    /// Runs `python3 arguments…` (the shared runner).
    static func run(_ arguments: [String]) async throws -> PythonScript.Output {
        try await PythonScript.run(arguments)
    }
}
