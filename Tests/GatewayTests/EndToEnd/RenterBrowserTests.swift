// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
import PayOS
import PayOSSandbox
import StorageTestSupport
import Tenancy
import Testing
import Payments

extension GatewayAPITests {
    /// A renter's whole journey in a real browser: the link an owner got from the API opens in headless Chromium, the
    /// QR code on the screen scans (zbarimg) to exactly the VietQR payOS made, and once the transfer lands at payOS the
    /// open page moves to the receipt by itself ("Thanh toán thành công").
    ///
    /// Needs `chromium` and `zbarimg`: skipped locally without them, failing when `CI=true` (the Views tests' policy).
    /// Screenshots are kept in `/tmp/gatehouse-e2e/` for a person to look at.
    @Suite(.enabled(if: BrowserCheck.shouldRun, BrowserCheck.skipReason))
    struct RenterBrowserTests {
        init() throws {
            try BrowserCheck.requireTools()
        }

        @Test(arguments: TestDatabases.backends)
        func renterScansTheQRPaysAndTheOpenPageShowsTheReceipt(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let link = try await gw.link(payment, of: gw.ownerA)
                // Headless Chromium asks for English; the renter here reads Vietnamese (the choice is kept in a cookie).
                let renterURL = gw.baseURL + payment.redirectURL + "&lang=vi"

                // 1. The pending page: its QR, read back from the pixels, is payOS's VietQR.
                let pending = try await RenterBrowser.screenshot(renterURL, named: "\(backend)-1-status-pending")
                #expect(try await BrowserCheck.decodeQR(pending) == link.qrCode)

                // The QR API's image is the same code.
                let qr = try await gw.get("/payment/qr/\(payment.paymentID)", headers: payment.cookie)
                let dataURI = try #require(qr.json?["qr_code"]?.stringValue)
                let qrPage = RenterBrowser.outputDirectory.appendingPathComponent("\(backend)-qr-endpoint.html")
                try RenterBrowser.prepareOutputDirectory()
                try #"<!doctype html><body style="margin:24px;background:#fff"><img src="\#(dataURI)" width="300" height="300"></body>"#
                    .write(to: qrPage, atomically: true, encoding: .utf8)
                let qrPNG = try await RenterBrowser.screenshot(qrPage.absoluteString, named: "\(backend)-2-qr-endpoint", size: "400x400")
                #expect(try await BrowserCheck.decodeQR(qrPNG) == link.qrCode)

                // 2. With the page open, the renter pays; payOS sends them back to the return page, which confirms with
                //    payOS. The page's long poll sees the settlement and shows the receipt without a reload.
                let view = gw.components.statusView
                let hitsBefore = view.hits
                let dom = Task { try await BrowserCheck.dumpDOM(renterURL, virtualTimeMS: 5000) }
                // Open once the page was served and its long poll waits (page view, poll's access check, poll's wait).
                try await gw.wait(timeout: .seconds(60), "the open page's long poll is waiting") { view.hits >= hitsBefore + 3 }
                let returned = try await gw.payAndReturn(payment, of: gw.ownerA)
                #expect(returned.location == "/payment/success/\(payment.paymentID)")
                let html = try await dom.value
                #expect(html.contains("<h1>Thanh toán thành công</h1>"), "the open page did not move to the receipt")
                #expect(html.contains("500.000 ₫"))

                // 3. Opening the renter link again lands on the receipt.
                let receipt = try await RenterBrowser.screenshot(renterURL, named: "\(backend)-3-success", size: "430x1200")
                #expect(try await BrowserCheck.decodeQR(receipt) == nil)
                let reloaded = try await BrowserCheck.dumpDOM(renterURL, virtualTimeMS: 1000)
                #expect(reloaded.contains("<h1>Thanh toán thành công</h1>"))
                #expect(reloaded.contains("Phòng Deluxe hướng biển"))
            }
        }
    }
}

/// Screenshots of live pages, kept for people to look at.
enum RenterBrowser {
    static let outputDirectory = URL(fileURLWithPath: "/tmp/gatehouse-e2e", isDirectory: true)

    static func prepareOutputDirectory() throws {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
    }

    /// Loads `url` in headless Chromium at phone size (scripts/browser-check) and returns the PNG's location.
    static func screenshot(_ url: String, named name: String, size: String = "430x1700") async throws -> URL {
        try prepareOutputDirectory()
        let png = outputDirectory.appendingPathComponent("\(name).png")
        let result = try await BrowserCheck.run("/bin/bash", [BrowserCheck.scriptPath, url, png.path, size])
        guard result.status == 0 else {
            throw BrowserCheck.Failure(description: "scripts/browser-check exited \(result.status): \(result.stderrText)")
        }
        return png
    }
}
