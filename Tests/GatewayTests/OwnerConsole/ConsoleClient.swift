// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import HTTPTypes
import PayOSSandbox
import Storage
import Testing

/// A browser on the owner console, for the HTTP tests: the session cookie and the page's CSRF token.
struct ConsoleClient: Sendable {
    var cookie: String
    var csrf: String
    var headers: HTTPFields { [.cookie: "gh_owner=\(cookie)"] }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: #"name="\#(name)" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The quoted value that follows `marker` (which ends with `"`).
    static func attribute(after marker: String, in html: String) -> String? {
        guard let range = html.range(of: marker) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The `href` of the link `<a href="…" id="<id>">`, unescaped.
    static func link(id: String, in html: String) -> String? {
        guard let end = html.range(of: #"" id="\#(id)""#), let start = html.range(of: #"href=""#, options: .backwards, range: html.startIndex..<end.lowerBound)
        else { return nil }
        return String(html[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
    }

    static func cookieValue(_ name: String, in setCookies: [String]) -> String? {
        for header in setCookies where header.hasPrefix("\(name)=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    /// Posts the sign-in form with `key` (after loading it for its double-submit token); returns the answer.
    static func attemptSignIn(_ h: GatewayHarness, key: String) async throws -> HTTPResult {
        let form = try await h.get("/owner/sign-in")
        let csrf = try #require(hidden("csrf", in: form.body))
        let pre = try #require(cookieValue("gh_owner_signin", in: form.setCookies))
        return try await h.request(
            .post, "/owner/sign-in", headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "gh_owner_signin=\(pre)"],
            body: "csrf=\(csrf)&api_key=\(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
    }

    /// Signs in with `key` and reads the session's CSRF token from the overview.
    static func signIn(_ h: GatewayHarness, key: String) async throws -> ConsoleClient {
        let signedIn = try await attemptSignIn(h, key: key)
        try #require(signedIn.status == .seeOther && signedIn.location == "/owner/overview", "sign-in: \(signedIn.status)")
        let cookie = try #require(cookieValue("gh_owner", in: signedIn.setCookies))
        let overview = try await h.get("/owner/overview", headers: [.cookie: "gh_owner=\(cookie)"])
        return ConsoleClient(cookie: cookie, csrf: try #require(hidden("csrf", in: overview.body)))
    }

    func get(_ h: GatewayHarness, _ path: String) async throws -> HTTPResult {
        try await h.get(path, headers: headers)
    }

    @discardableResult
    func post(_ h: GatewayHarness, _ path: String, _ fields: String = "", csrf: String? = nil) async throws -> HTTPResult {
        var headers = self.headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await h.post(path, "csrf=\(csrf ?? self.csrf)" + (fields.isEmpty ? "" : "&" + fields), headers: headers)
    }
}

/// Payments written as the payment service writes them, for the console's lists, charts and exports.
enum ConsoleFixtures {
    struct Payment {
        var owner: OwnerID
        var orderCode: Int64
        var createdAt: Int64
        var status = "success"
        var amount: Int64 = 500_000
        var renterName = "Nguyễn Văn An"
        var description = "D123"
        var roomTitle = "Phòng Deluxe"
        var refundReason: String? = nil
    }

    /// Inserts a renter, a booking and the payment; returns (payment id, booking id).
    @discardableResult
    static func insert(_ h: GatewayHarness, _ p: Payment) async throws -> (id: Int64, booking: Int64) {
        let db = h.components.database
        let renter = try #require(
            try await db.execute(
                "INSERT INTO renter (owner_id, name, email, created_at) VALUES (\(p.owner), \(p.renterName), 'r@example.vn', 0)", logger: h.logger
            ).lastInsertID)
        let booking = try #require(
            try await db.execute(
                """
                INSERT INTO booking (owner_id, renter_id, room_title, start_time, end_time, amount, created_at, updated_at)
                VALUES (\(p.owner), \(renter), \(p.roomTitle), 0, 1, \(p.amount), 0, 0)
                """, logger: h.logger
            ).lastInsertID)
        let paid = p.status == "success" || p.refundReason != nil
        let id = try #require(
            try await db.execute(
                """
                INSERT INTO payment (payment_code, order_code, amount, amount_paid, status, settled_by, renter_token_hash, expires_at, created_at,
                    updated_at, paid_at, booking_id, owner_id, renter_id, customer_name, description, refund_reason, refund_flagged_at)
                VALUES (\("PAY-\(p.orderCode)"), \(p.orderCode), \(p.amount), \(paid ? p.amount : 0), \(p.status), \(paid ? "webhook" : nil),
                    \([UInt8](repeating: 1, count: 32)), 0, \(p.createdAt), \(p.createdAt), \(paid ? p.createdAt + 4_000 : nil), \(booking),
                    \(p.owner), \(renter), \(p.renterName), \(p.description), \(p.refundReason), \(p.refundReason == nil ? nil : p.createdAt))
                """, logger: h.logger
            ).lastInsertID)
        return (id, booking)
    }
}
