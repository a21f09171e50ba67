// Copyright (c) the Gatehouse authors
import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
public import Storage
import Tenancy
import Vault
public import GatehouseCore
import Notifications
public import GatehouseHTTP

/// The admin dashboard (`/admin`, HTML): sign in with an admin token, then the platform overview, the owners list
/// (search, sort, keyset pages), an owner's rate limit and charts, the vault, dead e-mails, refunds due and the audit trail.
///
/// Security:
/// - the session is a random secret in an `HttpOnly; SameSite=Strict` cookie scoped to `/admin` (`Secure` when the
///   public URL is https), stored hashed with an expiry (``AdminSessionRepository``); revoking the admin token ends it;
/// - every form carries a synchronizer CSRF token bound to the session, compared in constant time; the sign-in form
///   (before any session) uses a double-submit token in its own `SameSite=Strict` cookie;
/// - pages have no script at all; the CSP allows only nonce'd inline style, same-origin form posts and data: images.
/// Every change is an ``AdminOperations`` call, the same as the JSON API's, audited with actor `admin:<token prefix>`;
/// handlers get the signed-in admin's session from ``withSession(_:context:post:_:)``, the only way they run.
public struct DashboardController: Sendable {
    static let sessionCookie = "gh_admin"
    static let signInCookie = "gh_admin_signin"

    let sessions: AdminSessionRepository
    let operations: AdminOperations
    let series: any AdminPaymentSeries
    /// The owners list and the overview (statistics from ``AdminStatsRefresher``).
    let ownerList: AdminOwnerList
    let database: any SQLDatabase
    let pages: AdminPages
    let secureCookies: Bool
    /// Wrong admin tokens on the sign-in form spend the same per-address budget as on the admin API.
    let authFailures: AuthFailureLimiter
    let clock: WallClock

    public init(
        sessions: AdminSessionRepository, operations: AdminOperations, series: any AdminPaymentSeries, ownerList: AdminOwnerList,
        database: any SQLDatabase, pages: AdminPages, secureCookies: Bool, authFailures: AuthFailureLimiter, clock: WallClock = .system
    ) {
        self.sessions = sessions
        self.operations = operations
        self.series = series
        self.ownerList = ownerList
        self.database = database
        self.pages = pages
        self.secureCookies = secureCookies
        self.authFailures = authFailures
        self.clock = clock
    }

    public var endpoints: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("/admin", use: home)
        routes.get("/admin/sign-in", use: signInPage)
        routes.post("/admin/sign-in", use: signIn)
        routes.post("/admin/sign-out", use: signOut)
        routes.get("/admin/dashboard", use: overviewPage)
        routes.get("/admin/dashboard/owners", use: ownersPage)
        routes.get("/admin/dashboard/owners/{id}", use: ownerPage)
        routes.post("/admin/dashboard/owners/{id}/suspend", use: suspend)
        routes.post("/admin/dashboard/owners/{id}/reactivate", use: reactivate)
        routes.post("/admin/dashboard/owners/{id}/rate-limit", use: setRateLimit)
        routes.get("/admin/dashboard/vault", use: vaultPage)
        routes.post("/admin/dashboard/vault/rotate", use: rotate)
        routes.get("/admin/dashboard/notifications", use: notificationsPage)
        routes.post("/admin/dashboard/notifications/{id}/resend", use: resend)
        routes.get("/admin/dashboard/refunds", use: refundsPage)
        routes.post("/admin/dashboard/refunds/{id}/resolve", use: resolveRefund)
        routes.get("/admin/dashboard/audit", use: auditPage)
        return routes
    }

    // MARK: Sign-in

    @Sendable func home(request: Request, context: GatehouseRequestContext) async throws -> Response {
        if try await currentSession(request, context: context) != nil { return Self.redirect("/admin/dashboard") }
        return Self.redirect("/admin/sign-in")
    }

    @Sendable func signInPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        let token = RandomToken.secret(bits: 160)
        var response = page(request, "signin", title: "Sign in", model: [:], csrf: token, session: nil, error: nil)
        response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.signInCookie, token, maxAge: 1800)))
        return response
    }

    @Sendable func signIn(request: Request, context: GatehouseRequestContext) async throws -> Response {
        let form = try await Self.form(request, context: context)
        let strings = AdminStrings.table(locale(request))
        let expected = request.cookies[Self.signInCookie]?.value ?? ""
        guard !expected.isEmpty, let presented = form["csrf"], ConstantTimeText.equals(presented, expected) else {
            return page(request, "signin", title: "Sign in", model: [:], csrf: "", session: nil, error: strings["badForm"], status: .forbidden)
        }
        try await authFailures.admit(request, context: context, kind: .admin)
        guard let token = form["token"], let session = try await sessions.signIn(token: token.trimmingCharacters(in: .whitespaces), logger: context.logger)
        else {
            authFailures.recordFailure(request, context: context, kind: .admin)
            var response = page(request, "signin", title: "Sign in", model: [:], csrf: expected, session: nil, error: strings["badSignIn"], status: .unauthorized)
            response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.signInCookie, expected, maxAge: 1800)))
            return response
        }
        try await operations.recordSession(
            signedIn: true, audit: AuditContext(actor: session.admin.actor, requestID: context.requestID), logger: context.logger)
        var response = Self.redirect("/admin/dashboard")
        response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, session.cookie, maxAge: Int(AdminSessionRepository.lifetimeMillis / 1000))))
        response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.signInCookie, "", maxAge: 0)))
        return response
    }

    @Sendable func signOut(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true) { session, _ in
            try await sessions.end(session, logger: context.logger)
            try await operations.recordSession(signedIn: false, audit: Self.audit(session, context), logger: context.logger)
            var response = Self.redirect("/admin/sign-in")
            response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, "", maxAge: 0)))
            return response
        }
    }

    // MARK: Owners

    @Sendable func ownerPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false) { session, _ in
            let strings = AdminStrings.table(locale(request))
            guard let id = Self.id(context), let view = try await operations.owner(OwnerID(id), logger: context.logger) else {
                return page(request, "owners", title: "", model: ["owners": [Any]()], session: session, error: strings["notFound"], status: .notFound)
            }
            let limit = try await operations.storedRateLimit(owner: view.owner.id, logger: context.logger)
            let bucket = request.uri.queryParameters["bucket"].flatMap { AdminSeriesBucket(rawValue: String($0)) } ?? .hour
            let now = clock.now()
            let from = bucket == .hour ? now - 47 * bucket.millis : now - 29 * bucket.millis
            let points = try await series.series(owner: view.owner.id, from: from, to: now + 1, bucket: bucket, logger: context.logger)
            var labels: [Int: String] = [:]
            let every = max(1, points.count / 6)
            for (index, point) in points.enumerated() where index % every == 0 {
                labels[index] = Self.label(point.start, bucket: bucket)
            }
            let success = SVGChart(
                title: strings["successRate"] ?? "", style: .line, values: points.map { $0.successRate.map { $0 * 100 } }, xLabels: labels,
                yMax: 100, formatY: { "\(Int($0.rounded()))%" })
            let processing = SVGChart(
                title: strings["processingTime"] ?? "", style: .bars, values: points.map { $0.averageProcessingMillis.map { Double($0) / 1000 } },
                xLabels: labels, formatY: { $0 >= 10 ? "\(Int($0.rounded())) s" : "\(Double(Int($0 * 10)) / 10) s" })
            let model: [String: Any] = [
                "owner": try await ownerModel(view, strings: strings, logger: context.logger),
                "rps": limit.map { String($0.requestsPerSecond) } ?? "", "burst": limit.map { String($0.burst) } ?? "",
                "successChart": success.render(), "processingChart": processing.render(),
                "rangeText": bucket == .hour ? strings["last48Hours"] ?? "" : strings["last30Days"] ?? "",
            ]
            return page(request, "owner", title: view.owner.name, model: model, session: session)
        }
    }

    @Sendable func suspend(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await setStatus(.suspended, request: request, context: context)
    }

    @Sendable func reactivate(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await setStatus(.active, request: request, context: context)
    }

    func setStatus(_ status: Owner.Status, request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true) { session, _ in
            guard let id = Self.id(context) else { return Self.redirect("/admin/dashboard/owners") }
            _ = try await operations.setStatus(OwnerID(id), status, audit: Self.audit(session, context), logger: context.logger)
            return Self.redirect("/admin/dashboard/owners?done=saved")
        }
    }

    @Sendable func setRateLimit(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true) { session, form in
            guard let id = Self.id(context), try await operations.owner(OwnerID(id), logger: context.logger) != nil else {
                return Self.redirect("/admin/dashboard/owners")
            }
            guard let rps = form["requests_per_second"].flatMap({ Int($0) }), let burst = form["burst"].flatMap({ Int($0) }) else {
                return Self.redirect("/admin/dashboard/owners/\(id)?done=invalidRateLimit")
            }
            do {
                try await operations.setRateLimit(
                    owner: OwnerID(id), requestsPerSecond: rps, burst: burst, payOS: .keep, audit: Self.audit(session, context), logger: context.logger)
            } catch let error as TenancyError where error.code == .validation {
                return Self.redirect("/admin/dashboard/owners/\(id)?done=invalidRateLimit")
            }
            return Self.redirect("/admin/dashboard/owners/\(id)?done=saved")
        }
    }

    func ownerModel(_ view: AdminOwnerView, strings: [String: String], logger: Logger) async throws -> [String: Any] {
        let limit = try await operations.storedRateLimit(owner: view.owner.id, logger: logger)
        return [
            "id": view.owner.id.rawValue, "name": view.owner.name, "email": view.owner.email, "status": view.owner.status.rawValue,
            "statusText": strings[view.owner.status.rawValue] ?? view.owner.status.rawValue,
            "onboardingText": strings[view.owner.onboardingState.rawValue] ?? view.owner.onboardingState.rawValue,
            "hint": view.credentials.map { "…" + ($0.clientIDHint ?? "") + " (v\($0.activeVersion))" } ?? (strings["notStored"] ?? ""),
            "rateLimit": limit.map { "\($0.requestsPerSecond)/s, burst \($0.burst)" } ?? (strings["defaultLimit"] ?? ""),
        ]
    }

    // MARK: Vault

    @Sendable func vaultPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false) { session, _ in
            let status = try await operations.vaultStatus(logger: context.logger)
            let body = AdminController.vaultBody(status)
            let model: [String: Any] = [
                "activeVersion": status.activeVersion, "ringVersions": status.ringVersions.map(String.init).joined(separator: ", "),
                "versions": status.dataKeysByVersion.sorted { $0.key > $1.key }.map { ["version": $0.key, "count": $0.value] as [String: Any] },
                "keysToRewrap": body.keys_to_rewrap,
                "runs": status.unfinishedRotations.map { ["runID": $0.runID, "target": $0.targetVersion, "rewrapped": $0.rewrapped] as [String: Any] },
            ]
            return page(request, "vault", title: AdminStrings.table(locale(request))["vault"] ?? "", model: model, session: session)
        }
    }

    @Sendable func rotate(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true) { session, _ in
            _ = try await operations.rotateMasterKey(to: nil, batchSize: 100, audit: Self.audit(session, context), logger: context.logger)
            return Self.redirect("/admin/dashboard/vault?done=rotated")
        }
    }

    // MARK: Notifications

    @Sendable func notificationsPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false) { session, _ in
            let entries = try await operations.deadNotifications(logger: context.logger)
            let rows: [[String: Any]] = entries.map {
                [
                    "id": $0.id, "ownerID": $0.ownerID.rawValue, "recipient": $0.recipient, "subject": $0.subject, "attempts": $0.attempts,
                    "lastError": $0.lastError ?? "", "csrf": session.csrfToken,
                ]
            }
            return page(
                request, "notifications", title: AdminStrings.table(locale(request))["deadNotifications"] ?? "",
                model: ["notifications": rows, "hasNotifications": !rows.isEmpty], session: session)
        }
    }

    @Sendable func resend(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true) { session, _ in
            guard let id = Self.id(context) else { return Self.redirect("/admin/dashboard/notifications?done=notFound") }
            do {
                // A notification that is no longer dead is left alone (and not audited); the page shows "re-sent" either way.
                _ = try await operations.resendNotification(id: id, audit: Self.audit(session, context), logger: context.logger)
            } catch let error as TenancyError where error.code == .notFound {
                return Self.redirect("/admin/dashboard/notifications?done=notFound")
            }
            return Self.redirect("/admin/dashboard/notifications?done=resent")
        }
    }

    // MARK: Audit

    @Sendable func auditPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false) { session, _ in
            let strings = AdminStrings.table(locale(request))
            let query = request.uri.queryParameters
            var filterModel: [String: Any] = [:]
            for name in ["owner", "action", "from", "to"] { filterModel[name] = query[Substring(name)].map(String.init) ?? "" }
            var filter: AdminAuditFilter
            do {
                // The dates are Vietnam days (the API's filter takes instants); the rest is checked as the API checks it.
                filter = try AdminController.auditFilter { $0 == "from" || $0 == "to" ? nil : request.queryValue($0) }
                for (name, endOfDay) in [("from", false), ("to", true)] {
                    guard let text = request.queryValue(name), !text.isEmpty else { continue }
                    guard let bound = PageTime.bound(text, endOfDay: endOfDay) else {
                        throw APIError.validation("\(name) must be a date (YYYY-MM-DD, Vietnam time)")
                    }
                    if endOfDay { filter.to = bound } else { filter.from = bound }
                }
            } catch let error as APIError {
                return page(
                    request, "audit", title: strings["audit"] ?? "", model: ["records": [Any](), "filter": filterModel], session: session,
                    error: error.message, status: .badRequest)
            }
            let result = try await operations.auditPage(filter, logger: context.logger)
            let records: [[String: Any]] = result.records.map {
                [
                    "id": $0.id, "at": PageTime.model($0.at, locale: locale(request)), "actor": $0.actor, "owner": $0.ownerID.map { String($0.rawValue) } ?? "",
                    "action": $0.action, "detail": $0.detail ?? "", "requestID": $0.requestID ?? "",
                ]
            }
            var model: [String: Any] = ["records": records, "filter": filterModel]
            if let next = result.nextBefore {
                var items = ["before=\(next)"]
                for name in ["owner", "action", "from", "to"] {
                    if let value = query[Substring(name)].map(String.init), !value.isEmpty {
                        items.append("\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
                    }
                }
                model["next"] = "/admin/dashboard/audit?" + items.joined(separator: "&")
            }
            return page(request, "audit", title: strings["audit"] ?? "", model: model, session: session)
        }
    }

    // MARK: Sessions, forms and pages

    func currentSession(_ request: Request, context: GatehouseRequestContext) async throws -> AdminSession? {
        guard let value = request.cookies[Self.sessionCookie]?.value, !value.isEmpty else { return nil }
        return try await sessions.session(cookie: value, logger: context.logger)
    }

    /// Runs `body` for a signed-in admin (else redirects to sign-in); for a POST, first checks the form's CSRF token.
    /// Errors become a page with a generic message (details only in the log, by request id).
    func withSession(
        _ request: Request, context: GatehouseRequestContext, post: Bool,
        _ body: (AdminSession, [String: String]) async throws -> Response
    ) async throws -> Response {
        guard let session = try await currentSession(request, context: context) else { return Self.redirect("/admin/sign-in") }
        var form: [String: String] = [:]
        if post {
            form = try await Self.form(request, context: context)
            guard session.acceptsCSRF(form["csrf"]) else {
                let strings = AdminStrings.table(locale(request))
                return page(request, "owners", title: "", model: ["owners": [Any]()], session: session, error: strings["badForm"], status: .forbidden)
            }
        }
        do {
            return try await body(session, form)
        } catch {
            let failure = ConsoleHTTP.failure(error, generic: AdminStrings.table(locale(request))["failed"] ?? "", context: context)
            return page(request, "owners", title: "", model: ["owners": [Any]()], session: session, error: failure.message, status: failure.status)
        }
    }

    func page(
        _ request: Request, _ template: String, title: String, model: [String: Any], csrf: String? = nil, session: AdminSession?,
        error: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        let locale = locale(request)
        let strings = AdminStrings.table(locale)
        let nonce = HTMLPage.makeNonce()
        let flash = request.uri.queryParameters["done"].flatMap { strings[String($0)] }
        let html = pages.render(
            template, model: model,
            chrome: .init(
                locale: locale, title: title, nonce: nonce, csrf: csrf ?? session?.csrfToken ?? "", adminName: session?.admin.name,
                flash: flash, error: error))
        var headers = ConsoleHTTP.pageHeaders(nonce: nonce)
        if let lang = request.uri.queryParameters["lang"].flatMap({ PageLocale(code: String($0)) }) {
            headers.append(HTTPField(name: .setCookie, value: "gh_lang=\(lang.code); Path=/; Max-Age=31536000; SameSite=Lax"))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func locale(_ request: Request) -> PageLocale {
        PageLocale.negotiate(
            acceptLanguage: request.headers[.acceptLanguage], query: request.uri.queryParameters["lang"].map(String.init),
            cookie: request.cookies["gh_lang"]?.value)
    }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        ConsoleHTTP.cookie(name, value, path: "/admin", maxAge: maxAge, secure: secureCookies)
    }

    /// The audit context of a signed-in admin's change: actor `admin:<prefix>` and the request id.
    static func audit(_ session: AdminSession, _ context: GatehouseRequestContext) -> AuditContext {
        AuditContext(actor: session.admin.actor, requestID: context.requestID)
    }

    static func redirect(_ location: String) -> Response {
        ConsoleHTTP.redirect(location)
    }

    static func id(_ context: GatehouseRequestContext) -> Int64? {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { return nil }
        return id
    }

    static func label(_ millis: Int64, bucket: AdminSeriesBucket) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = bucket == .hour ? "dd/MM HH'h'" : "dd/MM"
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// An `application/x-www-form-urlencoded` body as a dictionary (the last value of a repeated name wins).
    static func form(_ request: Request, context: GatehouseRequestContext) async throws -> [String: String] {
        try await ConsoleHTTP.form(request, context: context)
    }
}

/// Constant-time comparison of two texts (tokens).
enum ConstantTimeText {
    static func equals(_ lhs: String, _ rhs: String) -> Bool {
        // A session-less token check: same rule as AdminSession.acceptsCSRF.
        AdminSession.constantTimeEquals(lhs, rhs)
    }
}
