// Copyright (c) the Gatehouse authors
import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import PayOS
import QRCode
import Storage
import Tenancy
import Vault
public import GatehouseCore
public import Payments
public import GatehouseHTTP

/// The seed's payment routes, multi-tenant: creating a payment (owner), and the renter's status, QR,
/// success and failure views, plus payOS's return and cancel redirects.
public struct PaymentController: Sendable {
    let payments: PaymentService
    let access: RenterAccess
    let pages: RenterPages
    let clock: WallClock
    /// This instance's cap on long polls (`refresh-status?wait=N`).
    let longPolls: LongPollLimiter
    /// payOS's redirects confirm through it: anonymous traffic costs the owner at most one payOS GET per payment per
    /// interval.
    let redirects: RedirectConfirmations
    /// `refresh-status` bodies, encoded once per payment, status and language rather than once per poll.
    let refreshBodies = RefreshBodyCache(encode: PaymentController.encodedRefreshBody)

    public init(
        payments: PaymentService, access: RenterAccess, pages: RenterPages, longPolls: LongPollLimiter, redirects: RedirectConfirmations,
        clock: WallClock = .system
    ) {
        self.redirects = redirects
        self.payments = payments
        self.access = access
        self.pages = pages
        self.longPolls = longPolls
        self.clock = clock
    }

    /// Routes for owners; mount in the ``OwnerRequestContext`` group behind ``OwnerAuthenticator``.
    public var ownerEndpoints: RouteCollection<OwnerRequestContext> {
        let routes = RouteCollection(context: OwnerRequestContext.self)
        routes.post("/payment/process_payment", use: processPayment)
        routes.get("/api/payments", use: list)
        return routes
    }

    /// Routes for a payment's renter (or its owner); mount in the ``RenterRequestContext`` group behind
    /// ``RenterAccess``.
    public var renterEndpoints: RouteCollection<RenterRequestContext> {
        let routes = RouteCollection(context: RenterRequestContext.self)
        routes.get("/payment/status/{id}", use: status)
        routes.get("/payment/refresh-status/{id}", use: refreshStatus)
        routes.get("/payment/qr/{id}", use: qr)
        routes.get("/payment/success/{id}", use: success)
        routes.get("/payment/failed/{id}", use: failed)
        routes.post("/payment/cancel/{id}", use: cancel)
        return routes
    }

    /// payOS's browser redirects (no principal: the order code names the payment, and payOS is asked for its state).
    public var redirectEndpoints: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("/payment/return", use: payOSReturn)
        routes.get("/payment/cancel", use: payOSCancel)
        return routes
    }

    // MARK: Owner

    struct ProcessPaymentRequest: Decodable {
        let booking_id: Int64
        let amount: WholeVND?
        let description: String?
    }

    struct ProcessPaymentResponse: Encodable {
        let success = true
        let payment_id: Int64
        let redirect_url: String
        let payment_url: String
        let checkout_url: String?
        let order_code: Int64
        let expires_at: String
        let status: String
    }

    @Sendable func processPayment(request: Request, context: OwnerRequestContext) async throws -> JSONResponse<ProcessPaymentResponse> {
        let owner = context.ownerID
        let body = try await request.decodeJSON(as: ProcessPaymentRequest.self, context: context)
        guard body.booking_id > 0 else { throw APIError.validation("booking_id must be a positive integer") }
        if let amount = body.amount?.value, amount <= 0 { throw APIError.validation("amount must be a positive integer number of VND") }
        let created = try await payments.createPayment(
            owner: owner, PaymentRequest(bookingID: BookingID(body.booking_id), amount: body.amount?.value, description: body.description),
            idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!], audit: context.audit,
            logger: context.logger)
        let payment = created.payment
        let renterPath = "/payment/status/\(payment.id.rawValue)?t=\(created.renterToken)"
        var headers: HTTPFields = [:]
        if created.replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return JSONResponse(
            // 201 only for a new link; a replayed answer or the booking's live link handed out again is 200.
            status: created.replayed || created.reused ? .ok : .created,
            ProcessPaymentResponse(
                payment_id: payment.id.rawValue, redirect_url: renterPath, payment_url: payments.publicURL + renterPath,
                checkout_url: payment.checkoutURL, order_code: payment.orderCode, expires_at: APITime.format(payment.expiresAt),
                status: payment.status.rawValue),
            headers: headers)
    }

    struct PaymentListResponse: Encodable {
        let payments: [PaymentBody]
    }

    @Sendable func list(request: Request, context: OwnerRequestContext) async throws -> JSONResponse<PaymentListResponse> {
        let owner = context.ownerID
        var status: PaymentStatus? = nil
        if let raw = request.uri.queryParameters["status"].map(String.init) {
            guard let parsed = PaymentStatus(rawValue: raw) else {
                throw APIError.validation("status must be one of pending, success, failed, cancelled, expired")
            }
            status = parsed
        }
        let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 50
        let list = try await payments.list(owner: owner, status: status, limit: limit, logger: context.logger)
        return JSONResponse(PaymentListResponse(payments: list.map { PaymentBody($0, qrDataURI: nil) }))
    }

    // MARK: Renter

    /// The payment as the API shows it (the seed's shape, extended).
    struct PaymentBody: Encodable {
        let id: Int64
        let payment_code: String
        let order_code: Int64
        let amount: Int64
        let amount_paid: Int64
        let currency: String
        let status: String
        let underpaid: Bool
        let settled_by: String?
        let checkout_url: String?
        let qr_code: String?
        let created_at: String
        let expires_at: String
        let paid_at: String?
        let refund_reason: String?
        let refund_resolved_at: String?

        init(_ payment: Payment, qrDataURI: String?) {
            id = payment.id.rawValue
            payment_code = payment.paymentCode
            order_code = payment.orderCode
            amount = payment.amount
            amount_paid = payment.amountPaid
            currency = payment.currency
            status = payment.status.rawValue
            underpaid = payment.underpaid
            settled_by = payment.settledBy?.rawValue
            checkout_url = payment.checkoutURL
            qr_code = qrDataURI
            created_at = APITime.format(payment.createdAt)
            expires_at = APITime.format(payment.expiresAt)
            paid_at = payment.paidAt.map(APITime.format)
            refund_reason = payment.refundReason?.rawValue
            refund_resolved_at = payment.refundResolvedAt.map(APITime.format)
        }
    }

    struct BookingRef: Encodable {
        let id: Int64
        let room_title: String
        let start_time: String
        let end_time: String
    }

    struct StatusBody: Encodable {
        let payment: PaymentBody
        let booking: BookingRef
    }

    /// `GET /payment/status/{id}`: the JSON document for `Accept: application/json`, the page otherwise.
    @Sendable func status(request: Request, context: RenterRequestContext) async throws -> Response {
        let (payment, booking) = try await load(context)
        let qrSVG = payment.qrCode.flatMap { try? QRCode(encoding: $0).svg() }
        if request.wantsJSON {
            let body = StatusBody(
                payment: PaymentBody(payment, qrDataURI: payment.qrCode.flatMap { try? QRCode(encoding: $0).svgDataURI() }),
                booking: BookingRef(
                    id: booking.id.rawValue, room_title: booking.roomTitle, start_time: APITime.format(booking.startTime),
                    end_time: APITime.format(booking.endTime)))
            return try JSONResponse(body, headers: cookieHeaders(request, context)).response(from: request, context: context)
        }
        if payment.status != .pending {
            return redirect(to: settledPath(payment), cookies: cookieHeaders(request, context))
        }
        let nonce = HTMLPage.makeNonce()
        let model = StatusPageModel(
            page: PageContext(locale: request.pageLocale, nonce: nonce), payment: payment, booking: booking, now: clock.now(),
            qrSVG: qrSVG, refreshURL: "/payment/refresh-status/\(payment.id.rawValue)", cancelURL: "/payment/cancel/\(payment.id.rawValue)",
            waitSeconds: 25,
            notificationsURL: NotificationController.renterURL(payment.id))
        return try HTMLPage(html: pages.statusPage(model), nonce: nonce, extraHeaders: cookieHeaders(request, context))
            .response(from: request, context: context)
    }

    /// The seed's contract: `status` is one of `pending`, `success`, `failed` (its page stops polling on the last two), so
    /// a cancelled or expired payment answers `failed`, with the precise value in `payment_status` and the failed page
    /// in `redirect`.
    struct RefreshBody: Encodable {
        let status: String
        let message: String
        let payment_status: String
        /// Always present (`null` while pending), as in the seed's contract.
        @AlwaysPresent var redirect: String?
    }

    /// `GET /payment/refresh-status/{id}[?wait=N]`: the hot path — answered from the in-process status view; with
    /// `wait` (≤ 30 s) a long poll that returns the moment the status changes. A long poll takes one of the instance's
    /// slots (``LongPollLimiter``; 503 `LONG_POLLS_EXHAUSTED` when none is free); a plain poll, or a wait on a payment
    /// that is already settled, never touches the limiter.
    @Sendable func refreshStatus(request: Request, context: RenterRequestContext) async throws -> Response {
        let id = context.paymentID
        var snapshot = context.grant.snapshot
        let query = request.uri.queryParameters
        if let waitText = query["wait"] {
            guard let seconds = Int(String(waitText)), (0...30).contains(seconds) else {
                throw APIError.validation("wait must be an integer number of seconds from 0 to 30")
            }
            if seconds > 0, snapshot.status == .pending {
                let current = snapshot
                snapshot = try await longPolls.withSlot {
                    try await payments.waitForChange(of: id, from: .pending, timeout: .seconds(seconds), logger: context.logger) ?? current
                }
            }
        }
        let body = try refreshBodies.body(id, status: snapshot.status, locale: request.pageLocale(query: query))
        return APIJSON.response(body: body, headers: cookieHeaders(request, context, query: query))
    }

    static func refreshBody(_ status: PaymentStatus, settledPath: String, locale: PageLocale) -> RefreshBody {
        RefreshBody(
            status: seedStatus(status), message: statusMessage(status, locale: locale), payment_status: status.rawValue,
            redirect: status == .pending ? nil : settledPath)
    }

    /// `pending`, `success` or `failed`: the three values the seed's front end knows.
    static func seedStatus(_ status: PaymentStatus) -> String {
        switch status {
        case .pending: "pending"
        case .success: "success"
        case .failed, .cancelled, .expired: "failed"
        }
    }

    /// The encoded body of a payment's status in a language: what ``refreshBodies`` keeps.
    static func encodedRefreshBody(_ id: PaymentID, _ status: PaymentStatus, _ locale: PageLocale) throws -> ByteBuffer {
        try APIJSON.encode(refreshBody(status, settledPath: settledPath(id: id, status: status), locale: locale))
    }

    struct QRBody: Encodable {
        struct AccountInfo: Encodable {
            let bank_bin: String?
            let bank_name: String?
            let account_number: String?
            let account_name: String?
            let amount: Int64
            let transfer_content: String?
        }
        let success: Bool
        let qr_code: String?
        let qr_text: String?
        let account_info: AccountInfo
        /// payOS's checkout page, which shows the QR when we have none (a link recovered after payOS's code 231).
        let checkout_url: String?
    }

    /// `GET /payment/qr/{id}`: the seed's `{success, qr_code, account_info}`, the QR as an SVG data URI from payOS's `qrCode`.
    /// Details payOS did not give are left out rather than answered as empty strings.
    @Sendable func qr(request: Request, context: RenterRequestContext) async throws -> JSONResponse<QRBody> {
        let (payment, _) = try await load(context)
        let dataURI = payment.qrCode.flatMap { $0.isEmpty ? nil : try? QRCode(encoding: $0).svgDataURI() }
        return JSONResponse(
            QRBody(
                success: dataURI != nil, qr_code: dataURI, qr_text: payment.qrCode.nonBlank,
                account_info: .init(
                    bank_bin: payment.bankBIN.nonBlank, bank_name: payment.bankBIN.nonBlank.map(VietnamBanks.shortName(forBIN:)),
                    account_number: payment.accountNumber.nonBlank, account_name: payment.accountName.nonBlank,
                    amount: payment.amount - payment.amountPaid,
                    transfer_content: payment.qrCode.flatMap(VietQR.purpose(of:)) ?? payment.description),
                checkout_url: SafeLink.absoluteHTTP(payment.checkoutURL)),
            headers: cookieHeaders(request, context))
    }

    /// `GET /payment/success/{id}`: the receipt (or back to the status page while still pending).
    @Sendable func success(request: Request, context: RenterRequestContext) async throws -> Response {
        let (payment, booking) = try await load(context)
        guard payment.status == .success else { return redirect(to: settledPath(payment), cookies: cookieHeaders(request, context)) }
        let nonce = HTMLPage.makeNonce()
        let html = pages.successPage(SuccessPageModel(page: PageContext(locale: request.pageLocale, nonce: nonce), payment: payment, booking: booking))
        return try HTMLPage(html: html, nonce: nonce, extraHeaders: cookieHeaders(request, context)).response(from: request, context: context)
    }

    /// `GET /payment/failed/{id}`: failed, cancelled or expired (or elsewhere when that is not the case).
    @Sendable func failed(request: Request, context: RenterRequestContext) async throws -> Response {
        let (payment, booking) = try await load(context)
        let nonce = HTMLPage.makeNonce()
        guard let model = FailedPageModel(page: PageContext(locale: request.pageLocale, nonce: nonce), payment: payment, booking: booking) else {
            return redirect(to: settledPath(payment), cookies: cookieHeaders(request, context))
        }
        return try HTMLPage(html: pages.failedPage(model), nonce: nonce, extraHeaders: cookieHeaders(request, context))
            .response(from: request, context: context)
    }

    // MARK: payOS redirects

    /// `GET /payment/return`: payOS sends the renter here after paying. The query is never trusted: the link's real
    /// state is fetched from payOS (shared with concurrent redirects, and at most once per interval: see
    /// ``RedirectConfirmations``), applied, and the renter is sent to the matching page.
    @Sendable func payOSReturn(request: Request, context: GatehouseRequestContext) async throws -> Response {
        let payment = try await paymentFromRedirect(request, context: context)
        let confirmed = try await redirects.confirm(payment, audit: Self.audit(renter: payment, context), logger: context.logger)
        return redirect(to: settledPath(confirmed), cookies: [:])
    }

    /// `GET /payment/cancel`: payOS's redirect after the renter cancelled on payOS's page: shows the state payOS reports, changes nothing by
    /// itself. The query is unsigned and any site can link here, so a cancel happens only at payOS (its checkout page)
    /// or through ``cancel(request:context:)``.
    @Sendable func payOSCancel(request: Request, context: GatehouseRequestContext) async throws -> Response {
        let payment = try await paymentFromRedirect(request, context: context)
        let settled = try await redirects.confirm(payment, audit: Self.audit(renter: payment, context), logger: context.logger)
        return redirect(to: settledPath(settled), cookies: [:])
    }

    /// `POST /payment/cancel/{id}`: the status page's cancel button. Only from our own page: a browser's
    /// `Sec-Fetch-Site: same-origin`, or else an `Origin` naming this host; anything else is 403 `CROSS_SITE_REQUEST`
    /// (the renter cookie is `SameSite=Lax`, which a cross-site form POST does not carry, but older browsers differ).
    @Sendable func cancel(request: Request, context: RenterRequestContext) async throws -> Response {
        try Self.requireSameOrigin(request)
        let (payment, _) = try await load(context)
        let audit = AuditContext(actor: "renter:payment:\(payment.id.rawValue)", requestID: context.requestID)
        let settled =
            payment.status == .pending
            ? try await payments.cancelAtPayOS(payment, reason: "Renter cancelled", audit: audit, logger: context.logger) : payment
        return redirect(to: settledPath(settled), cookies: cookieHeaders(request, context))
    }

    static let crossSiteRequest = APIError(
        status: .forbidden, code: "CROSS_SITE_REQUEST", message: "cancelling a payment is only possible from its own page")

    static func requireSameOrigin(_ request: Request) throws {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!] {
            guard site == "same-origin" else { throw crossSiteRequest }
            return
        }
        guard let origin = request.headers[.origin], let authority = request.head.authority,
            origin == "https://\(authority)" || origin == "http://\(authority)"
        else { throw crossSiteRequest }
    }

    private func paymentFromRedirect(_ request: Request, context: GatehouseRequestContext) async throws -> Payment {
        guard let orderCode = request.uri.queryParameters["orderCode"].flatMap({ Int64(String($0)) }), orderCode > 0,
            let payment = try await payments.payment(orderCode: orderCode, logger: context.logger)
        else { throw APIError.notFound("payment") }
        return payment
    }

    // MARK: Helpers

    /// The request's payment (the one its grant is for) with its booking.
    private func load(_ context: RenterRequestContext) async throws -> (Payment, Booking) {
        let owner = context.grant.snapshot.ownerID
        guard let found = try await payments.paymentWithBooking(owner: owner, id: context.paymentID, logger: context.logger) else {
            throw APIError.notFound("payment")
        }
        return found
    }

    private func settledPath(_ payment: Payment) -> String { Self.settledPath(id: payment.id, status: payment.status) }

    static func settledPath(id: PaymentID, status: PaymentStatus) -> String {
        switch status {
        case .pending: "/payment/status/\(id.rawValue)"
        case .success: "/payment/success/\(id.rawValue)"
        case .failed, .cancelled, .expired: "/payment/failed/\(id.rawValue)"
        }
    }

    private func redirect(to path: String, cookies: HTTPFields) -> Response {
        var headers = cookies
        headers[.location] = path
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    /// The grant's renter cookie (when it was just issued) and the language cookie (when the query chose one).
    private func cookieHeaders(_ request: Request, _ context: RenterRequestContext, query: Parameters? = nil) -> HTTPFields {
        var headers: HTTPFields = [:]
        if let setCookie = context.grant.setCookie { headers.append(HTTPField(name: .setCookie, value: setCookie)) }
        if let language = request.languageCookie(query: query ?? request.uri.queryParameters) {
            headers.append(HTTPField(name: .setCookie, value: language))
        }
        return headers
    }

    static func statusMessage(_ status: PaymentStatus, locale: PageLocale) -> String {
        switch (status, locale) {
        case (.pending, .vi): "Đang chờ thanh toán"
        case (.pending, .en): "Waiting for payment"
        case (.success, .vi): "Thanh toán thành công"
        case (.success, .en): "Payment completed successfully"
        case (.failed, .vi): "Thanh toán thất bại"
        case (.failed, .en): "Payment failed"
        case (.cancelled, .vi): "Thanh toán đã bị hủy"
        case (.cancelled, .en): "Payment cancelled"
        case (.expired, .vi): "Liên kết thanh toán đã hết hạn"
        case (.expired, .en): "Payment link expired"
        }
    }

    static func audit(renter payment: Payment, _ context: GatehouseRequestContext) -> AuditContext {
        AuditContext(actor: "renter:payment:\(payment.id.rawValue)", requestID: context.requestID)
    }
}
