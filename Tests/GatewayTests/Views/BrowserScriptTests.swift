// Copyright (c) the Gatehouse authors
import Foundation
@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Tenancy
import Testing
import GatehouseCore

/// Runs the status page's script in headless Chromium against a live local server that plays the gateway's part
/// (status page, status JSON, success page, notifications), under the strict Content-Security-Policy the
/// renderer's documentation recommends. Chromium's virtual time makes the 5-second fallback polls instant.
@Suite(.serialized, .enabled(if: BrowserCheck.shouldRun, BrowserCheck.skipReason))
struct BrowserScriptTests {
    let pages: RenterPages

    init() throws {
        try BrowserCheck.requireTools()
        pages = try RenterPages()
    }

    // MARK: Tests

    @Test func longPollAnswerLeadsToTheSuccessPageUnderAStrictCSP() async throws {
        let server = ScriptedGateway(pages: pages, statusAnswers: [.json(status: "success", redirect: "/payment/success/456")])
        let dom = try await server.run { url in try await BrowserCheck.dumpDOM(url + "/payment/status/456", virtualTimeMS: 5000) }
        #expect(dom.contains("<h1>Thanh toán thành công</h1>"))
        let polls = server.requests.filter { $0.hasPrefix("/payment/refresh-status/456") }
        #expect(polls.first == "/payment/refresh-status/456?wait=25")
    }

    @Test func errorsFallBackToShortPollsUntilTheStatusSettles() async throws {
        let server = ScriptedGateway(
            pages: pages,
            statusAnswers: [
                .failure(503), .failure(502), .json(status: "pending", redirect: nil),
                .json(status: "expired", redirect: "/payment/failed/456"),
            ]
        )
        let dom = try await server.run { url in try await BrowserCheck.dumpDOM(url + "/payment/status/456", virtualTimeMS: 40_000) }
        #expect(dom.contains("<h1>Mã thanh toán đã hết hạn</h1>"))
        let polls = server.requests.filter { $0.hasPrefix("/payment/refresh-status/456") }
        #expect(polls.count == 4)
        // The first request long-polls; after an error the page polls without holding the server.
        #expect(polls.first == "/payment/refresh-status/456?wait=25")
        #expect(polls.dropFirst().allSatisfy { $0 == "/payment/refresh-status/456" })
    }

    @Test func redirectsToAnotherSiteAreNotFollowed() async throws {
        let server = ScriptedGateway(
            pages: pages,
            statusAnswers: [.json(status: "success", redirect: "https://evil.example/phish"), .json(status: "pending", redirect: nil)]
        )
        let dom = try await server.run { url in try await BrowserCheck.dumpDOM(url + "/payment/status/456", virtualTimeMS: 5000) }
        #expect(!dom.contains("evil.example"))
        // The page reloads itself instead, so the server renders the current state.
        #expect(server.requests.filter { $0 == "/payment/status/456" }.count >= 2)
    }

    @Test func notificationsAreShownAsTextAndCopyButtonsAppear() async throws {
        let server = ScriptedGateway(
            pages: pages,
            statusAnswers: [.json(status: "pending", redirect: nil)],
            notifications: #"{"has_new": true, "notifications": [{"message": "Chủ nhà đã xác nhận <img src=x>", "#
                + #""created_at": "2024-01-15T07:50:00Z"}]}"#
        )
        let dom = try await server.run { url in try await BrowserCheck.dumpDOM(url + "/payment/status/456", virtualTimeMS: 3000) }
        #expect(dom.contains("<p>Chủ nhà đã xác nhận &lt;img src=x&gt;</p>"))
        #expect(dom.contains("<time>14:50 15/01/2024</time>"))
        #expect(dom.contains("id=\"notifications\" class=\"notifications\" aria-live=\"polite\">"))
        #expect(!dom.contains("class=\"copy\" data-copy=\"0123456789\" aria-label=\"Sao chép: Số tài khoản\" hidden"))
        #expect(dom.contains("class=\"copy\" data-copy=\"0123456789\""))
    }

    @Test func countdownReachingZeroShowsExpiryAndChecksTheStatusAtOnce() async throws {
        let server = ScriptedGateway(pages: pages, statusAnswers: [.json(status: "pending", redirect: nil)], expiresInSeconds: 2)
        let dom = try await server.run { url in try await BrowserCheck.dumpDOM(url + "/payment/status/456", virtualTimeMS: 4000) }
        #expect(dom.contains("class=\"countdown is-expired\""))
        #expect(dom.contains("<span id=\"countdown-label\">Mã đã hết hạn, đang kiểm tra…</span> <strong id=\"countdown-time\">00:00</strong>"))
        // One poll at load, one when the countdown ran out; the regular 5-second poll has not come yet.
        #expect(server.requests.filter { $0.hasPrefix("/payment/refresh-status/456") }.count == 2)
    }

    @Test func withoutJavaScriptThePendingPageReloadsToShowTheCurrentState() async throws {
        // The second view of the status page finds the payment settled and shows the receipt.
        let server = ScriptedGateway(pages: pages, statusAnswers: [.json(status: "pending", redirect: nil)], settleAfterStatusPageViews: 1)
        let dom = try await server.run { url in
            try await BrowserCheck.dumpDOM(url + "/payment/status/456", virtualTimeMS: 12_000, javaScript: false)
        }
        #expect(dom.contains("<h1>Thanh toán thành công</h1>"))
        #expect(server.requests.filter { $0 == "/payment/status/456" }.count == 2)
        #expect(!server.requests.contains { $0.hasPrefix("/payment/refresh-status") })
    }
}

/// A tiny stand-in for the gateway's renter routes, answering the status JSON from a script.
final class ScriptedGateway: Sendable {
    enum Answer: Sendable {
        case json(status: String, redirect: String?)
        case failure(Int)
    }

    static let nonce = "c2NyaXB0ZWQtbm9uY2UtMQ"
    static let csp =
        "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; img-src 'self' data: blob:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    private let pages: RenterPages
    private let notifications: String
    /// After this many views the status page route renders the success page (as the gateway does once settled).
    private let settleAfterStatusPageViews: Int
    /// Seconds until the payment expires when the status page is rendered.
    private let expiresInSeconds: Int64
    /// The status answers still to give (the last one repeats), and every path+query requested.
    private let state: Mutex<(answers: [Answer], requests: [String])>

    init(
        pages: RenterPages,
        statusAnswers: [Answer],
        notifications: String = #"{"has_new": false, "notifications": []}"#,
        settleAfterStatusPageViews: Int = .max,
        expiresInSeconds: Int64 = 930
    ) {
        self.expiresInSeconds = expiresInSeconds
        self.pages = pages
        self.notifications = notifications
        self.settleAfterStatusPageViews = settleAfterStatusPageViews
        self.state = Mutex((statusAnswers, []))
    }

    var requests: [String] { state.withLock { $0.requests } }

    private func record(_ request: Request) {
        let target = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
        state.withLock { $0.requests.append(target) }
    }

    private func nextAnswer() -> Answer {
        state.withLock { state in
            state.answers.count > 1 ? state.answers.removeFirst() : state.answers[0]
        }
    }

    private func html(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: Self.csp, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    private func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Serves on an ephemeral loopback port while `body` runs with the base URL.
    func run<T: Sendable>(_ body: @Sendable @escaping (String) async throws -> T) async throws -> T {
        let router = Router()
        let page = PageContext(locale: .vi, nonce: Self.nonce)
        router.get("/payment/status/456") { request, _ in
            self.record(request)
            let views = self.requests.filter { $0 == "/payment/status/456" }.count
            if views > self.settleAfterStatusPageViews {
                var model = RenterPageFixtures.success(.vi)
                model.page = page
                return self.html(self.pages.successPage(model))
            }
            var model = RenterPageFixtures.status(.vi)
            model.page = page
            model.expiresAt = model.now + self.expiresInSeconds * 1000
            return self.html(self.pages.statusPage(model))
        }
        router.get("/payment/refresh-status/456") { request, _ in
            self.record(request)
            switch self.nextAnswer() {
            case .failure(let code):
                return self.json(#"{"error":{"message":"unavailable"}}"#, status: .init(code: code))
            case .json(let status, let redirect):
                let redirectJSON = redirect.map { "\"\($0)\"" } ?? "null"
                return self.json(#"{"status":"\#(status)","message":"","payment_status":"\#(status)","redirect":\#(redirectJSON)}"#)
            }
        }
        router.get("/payment/success/456") { request, _ in
            self.record(request)
            var model = RenterPageFixtures.success(.vi)
            model.page = page
            return self.html(self.pages.successPage(model))
        }
        router.get("/payment/failed/456") { request, _ in
            self.record(request)
            var model = RenterPageFixtures.failed(.vi, outcome: .expired)
            model.page = page
            return self.html(self.pages.failedPage(model))
        }
        router.get("/api/notifications/check") { request, _ in
            self.record(request)
            return self.json(self.notifications)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            return try await body("http://127.0.0.1:\(port)")
        }
    }
}

extension BrowserCheck {
    /// Loads `url` in headless Chromium, lets `virtualTimeMS` of page time pass (timers run instantly; network is
    /// waited for), and returns the DOM of whatever page the tab shows then — after any navigation.
    static func dumpDOM(_ url: String, virtualTimeMS: Int, javaScript: Bool = true) async throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("browser-dom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        if !javaScript {
            // Block JavaScript through the profile's content settings, as a user who turned it off would.
            // (`--blink-settings=scriptEnabled=false` stops headless Chromium from loading anything at all.)
            let preferences = profile.appendingPathComponent("Default")
            try FileManager.default.createDirectory(at: preferences, withIntermediateDirectories: true)
            try #"{"profile":{"default_content_setting_values":{"javascript":2}}}"#
                .write(to: preferences.appendingPathComponent("Preferences"), atomically: true, encoding: .utf8)
        }
        let arguments = [
            "90", try #require(executable(named: "chromium")), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=\(profile.path)", "--dump-dom", "--virtual-time-budget=\(virtualTimeMS)", url,
        ]
        let result = try await run("/usr/bin/timeout", arguments)
        guard result.status == 0 else {
            throw Failure(description: "chromium --dump-dom exited \(result.status): \(result.stderrText.suffix(2000))")
        }
        return String(decoding: result.stdout, as: UTF8.self)
    }
}
