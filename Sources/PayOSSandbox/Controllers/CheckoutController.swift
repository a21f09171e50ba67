// Copyright (c) the Gatehouse authors
import HTTPTypes
import Hummingbird
import Logging

/// The checkout page `GET /web/{paymentLinkId}` and its buyer actions. Like payOS's hosted page it needs no
/// credentials: the unguessable payment link id is the capability.
struct CheckoutController {
    let state: SandboxState

    var endpoints: RouteCollection<SandboxRequestContext> {
        RouteCollection(context: SandboxRequestContext.self)
            .get(":id", use: page)
            .post(":id/pay", use: pay)
            .post(":id/cancel", use: cancel)
    }

    /// The page for an unknown payment link id, on every route of the checkout.
    private static let linkNotFound = HTML(html: CheckoutPage.message("Không tìm thấy liên kết thanh toán."), status: .notFound)

    @Sendable func page(_ request: Request, context: SandboxRequestContext) async throws -> HTML {
        let id = try context.parameters.require("id")
        guard let link = await state.link(id: id) else {
            return Self.linkNotFound
        }
        let now = state.now()
        let notice = request.uri.queryParameters["paid"].flatMap { Int64($0) }.map { "Đã nhận \(CheckoutPage.money($0))." }
        return HTML(html: CheckoutPage(link: link, status: link.status(at: now), payable: link.isPayable(at: now), notice: notice).html)
    }

    /// Pays in full (no or empty `amount`) or in part. A full payment redirects to `returnUrl` like payOS; a partial
    /// one stays on the checkout page, since payOS keeps the buyer there until the link is paid.
    @Sendable func pay(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard await state.link(id: id) != nil else {
            return Self.linkNotFound.response(from: request, context: context)
        }
        var request = request
        let form = try await request.collectBody(upTo: 16 * 1024)
        let amountText = Self.formValue("amount", in: String(buffer: form))?.filter { $0 != "." && $0 != "," && $0 != " " } ?? ""
        var amount: Int64?
        if !amountText.isEmpty {
            guard let value = Int64(amountText), value > 0 else {
                return HTML(html: CheckoutPage.message("Số tiền không hợp lệ."), status: .badRequest).response(from: request, context: context)
            }
            amount = value
        }
        do {
            let outcome = try await state.pay(linkID: id, amount: amount, payer: .init())
            let status = outcome.link.status(at: state.now())
            context.logger.info("Checkout payment", metadata: ["payos.order_code": "\(outcome.link.orderCode)"])
            if status == .paid { return .redirect(to: CheckoutRedirect.url(for: outcome.link, status: status), type: .normal) }
            return .redirect(to: "/web/\(id)?paid=\(outcome.transaction.amount)", type: .normal)
        } catch {
            return HTML(html: CheckoutPage.message(Self.vietnamese(error)), status: error.status).response(from: request, context: context)
        }
    }

    @Sendable func cancel(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard await state.link(id: id) != nil else {
            return Self.linkNotFound.response(from: request, context: context)
        }
        do {
            let link = try await state.cancel(linkID: id, reason: nil)
            return .redirect(to: CheckoutRedirect.url(for: link, status: link.status(at: state.now())), type: .normal)
        } catch {
            return HTML(html: CheckoutPage.message(error.desc), status: .conflict).response(from: request, context: context)
        }
    }

    private static func vietnamese(_ error: SandboxControlError) -> String {
        switch error.code {
        case "payment_link_not_payable": "Liên kết thanh toán không còn nhận thanh toán (\(error.message))."
        case "invalid_input": "Số tiền không hợp lệ (\(error.message))."
        default: error.message
        }
    }

    /// The first value of `name` in an `application/x-www-form-urlencoded` body (`+` and `%XX` decoded).
    static func formValue(_ name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, percentDecode(parts[0]) == name else { continue }
            return percentDecode(parts[1])
        }
        return nil
    }

    private static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                if let high = iterator.next(), let low = iterator.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                }
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
