// Copyright (c) the Gatehouse authors
import Admin
import Foundation
import GatehouseTestSupport
import HTTPTypes
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault
import GatehouseCore

extension AdminSuites {
    /// The dashboard's refunds page: open refunds with amount, renter, owner and reason, and the "mark refunded" form.
    @Suite struct DashboardRefundTests {
        typealias Dashboard = AdminSuites.DashboardTests

        @Test(arguments: TestDatabases.backends)
        func theRefundsPageListsOpenRefundsAndMarksOneRefundedOnlyWithTheFormToken(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let owed = try await RefundFixtures.insert(
                    h, .init(owner: h.ownerA.id, orderCode: 9301, amount: 1_500_000, paid: 1_500_000, reason: "booking_already_paid"))
                let underpaid = try await RefundFixtures.insert(
                    h, .init(owner: h.ownerB.id, orderCode: 9302, paid: 200_000, reason: "underpaid", customer: nil, status: "failed"))
                try await RefundFixtures.insert(h, .init(owner: h.ownerA.id, orderCode: 9303, reason: nil, status: "success"))
                let browser = try await Dashboard.signIn(h)

                let en = try await h.request(.get, "/admin/dashboard/refunds?lang=en", headers: browser.headers)
                #expect(en.status == .ok && en.isHTML)
                #expect(en.body.contains(#"id="nav-refunds""#))
                #expect(en.body.contains(#"id="refund-\#(owed.id)""#) && en.body.contains(#"id="refund-\#(underpaid.id)""#))
                #expect(!en.body.contains("PAY-R9303"))
                #expect(en.body.contains("1,500,000 ₫") && en.body.contains("200,000 ₫") && en.body.contains("of 500,000 ₫"))
                #expect(en.body.contains("Nguyễn Văn An") && en.body.contains("an@example.vn") && en.body.contains("Trần Thị Bình"))
                #expect(en.body.contains("Nhà trọ Hoa Sen") && en.body.contains("Căn hộ Bình Minh"))
                #expect(en.body.contains("The booking was already paid by another payment") && en.body.contains("Paid less than the amount"))
                // The flag time as the audit page shows times: ISO-8601 in UTC, seconds.
                let utc = ISO8601DateFormatter()
                #expect(en.body.contains(utc.string(from: Date(timeIntervalSince1970: Double(owed.flaggedAt / 1000)))))
                #expect(en.body.contains(#"action="/admin/dashboard/refunds/\#(owed.id)/resolve""#))
                #expect(en.body.contains("1,700,000 ₫"))  // the open total
                let vi = try await h.request(.get, "/admin/dashboard/refunds?lang=vi", headers: browser.headers)
                #expect(vi.body.contains("1.500.000 ₫") && vi.body.contains("Đặt phòng đã được thanh toán bằng giao dịch khác"))
                #expect(vi.body.contains("Đã hoàn tiền"))
                // The first page after sign-in tells how much is owed, and links to the list.
                let owners = try await h.request(.get, "/admin/dashboard/owners?lang=en", headers: browser.headers)
                #expect(owners.body.contains(#"id="refunds-due""#) && owners.body.contains("1,700,000 ₫"))

                // Without the form token, or with another, nothing is recorded.
                for csrf in ["", "forged-\(browser.csrf)"] {
                    let refused = try await Dashboard.post(h, "/admin/dashboard/refunds/\(owed.id)/resolve", browser, csrf: csrf)
                    #expect(refused.status == .forbidden)
                }
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.resolveRefund).isEmpty)
                // Without a session: to the sign-in form.
                let anonymous = try await h.request(
                    .post, "/admin/dashboard/refunds/\(owed.id)/resolve", headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: "csrf=\(browser.csrf)")
                #expect(anonymous.status == .seeOther && anonymous.location == "/admin/sign-in")

                let done = try await Dashboard.post(h, "/admin/dashboard/refunds/\(owed.id)/resolve", browser)
                #expect(done.status == .seeOther && done.location == "/admin/dashboard/refunds?done=refundResolved")
                let row = try #require(try await h.auditRows(action: AdminOperations.AuditAction.resolveRefund).first)
                #expect(row.actor == "admin:\(h.adminToken.prefix)" && row.ownerID == h.ownerA.id.rawValue)
                let after = try await h.request(.get, "/admin/dashboard/refunds?lang=en&done=refundResolved", headers: browser.headers)
                #expect(after.body.contains("Recorded as refunded."))
                #expect(!after.body.contains(#"id="refund-\#(owed.id)""#) && after.body.contains(#"id="refund-\#(underpaid.id)""#))
                // A second click (a stale page) lands on the same page and writes nothing more; an unknown one says so.
                let twice = try await Dashboard.post(h, "/admin/dashboard/refunds/\(owed.id)/resolve", browser)
                #expect(twice.location == "/admin/dashboard/refunds?done=refundResolved")
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.resolveRefund).count == 1)
                #expect(try await Dashboard.post(h, "/admin/dashboard/refunds/999999/resolve", browser).location == "/admin/dashboard/refunds?done=notFound")

                #expect(try await h.request(.get, "/admin/dashboard/refunds?before=nonsense", headers: browser.headers).status == .badRequest)
                try await Dashboard.post(h, "/admin/dashboard/refunds/\(underpaid.id)/resolve", browser)
                let empty = try await h.request(.get, "/admin/dashboard/refunds?lang=en", headers: browser.headers)
                #expect(empty.body.contains(#"id="no-refunds""#))
                #expect(!(try await h.request(.get, "/admin/dashboard/owners", headers: browser.headers)).body.contains(#"id="refunds-due""#))
            }
        }
    }
}
