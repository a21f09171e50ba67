// Copyright (c) the Gatehouse authors
import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import Payments
public import Storage
public import Tenancy
import Vault
public import GatehouseCore
public import GatehouseHTTP

/// The owner console (`/owner`, HTML, Vietnamese and English, no script): an owner signs in with one of their API keys
/// and sees their payOS connection, charts, payments (filters, paging, CSV export), manages API keys and rotates payOS
/// credentials through the same proof as onboarding.
///
/// Security, the admin dashboard's model (``ConsoleSessionStore``):
/// - the session is a random secret in an `HttpOnly; SameSite=Strict` cookie scoped to `/owner` (`Secure` when the
///   public URL is https), stored hashed with an expiry; revoking (or the expiry of) the API key that signed in ends it,
///   and so does the owner's suspension;
/// - every form carries the session's synchronizer CSRF token, compared in constant time; the sign-in form (before any
///   session) uses a double-submit token in its own cookie; wrong keys spend the address's ``AuthFailureLimiter`` budget;
/// - pages have no script; the CSP allows only nonce'd inline style, same-origin form posts and data: images.
/// Every handler reads the owner from the session only (``withSession(_:context:post:current:_:)``), so every query is
/// scoped to the signed-in owner; every change is audited with actor `owner:<id>` (as the owner API's).
public struct OwnerConsoleController: Sendable {
    static let sessionCookie = "gh_owner"
    static let signInCookie = "gh_owner_signin"

    /// Audit actions of console changes (the rotation's own rows are the onboarding proof's).
    public enum AuditAction {
        public static let signIn = "owner.session.sign_in"
        public static let signOut = "owner.session.sign_out"
        public static let createKey = "owner.api_key.create"
        public static let revokeKey = "owner.api_key.revoke"
        public static let exportPayments = "owner.payments.export"
    }

    let sessions: OwnerSessionRepository
    let owners: OwnerRepository
    let credentials: OwnerCredentialsService
    let paymentConfig: PaymentConfigRepository
    let onboarding: OnboardingService
    let apiKeys: APIKeyRepository
    let payments: OwnerPaymentList
    let metrics: PaymentMetrics
    let database: any SQLDatabase
    let auditLog: AuditLog
    let pages: ConsolePages
    let secureCookies: Bool
    let authFailures: AuthFailureLimiter
    let clock: WallClock

    public init(
        database: any SQLDatabase, hasher: TokenHasher, owners: OwnerRepository, credentials: OwnerCredentialsService, onboarding: OnboardingService,
        pages: ConsolePages, secureCookies: Bool, authFailures: AuthFailureLimiter, clock: WallClock = .system
    ) {
        self.sessions = OwnerSessionRepository(database: database, hasher: hasher, clock: clock)
        self.owners = owners
        self.credentials = credentials
        self.paymentConfig = PaymentConfigRepository(database: database, clock: clock)
        self.onboarding = onboarding
        self.apiKeys = APIKeyRepository(database: database, hasher: hasher, clock: clock)
        self.payments = OwnerPaymentList(database: database)
        self.metrics = PaymentMetrics(database: database)
        self.database = database
        self.auditLog = AuditLog(clock: clock)
        self.pages = pages
        self.secureCookies = secureCookies
        self.authFailures = authFailures
        self.clock = clock
    }

    public var endpoints: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("/owner", use: home)
        routes.get("/owner/sign-in", use: signInPage)
        routes.post("/owner/sign-in", use: signIn)
        routes.post("/owner/sign-out", use: signOut)
        routes.get("/owner/overview", use: overviewPage)
        routes.get("/owner/payments", use: paymentsPage)
        routes.get("/owner/payments/export.csv", use: exportPayments)
        routes.get("/owner/api-keys", use: keysPage)
        routes.post("/owner/api-keys", use: createKey)
        routes.post("/owner/api-keys/{prefix}/revoke", use: revokeKey)
        routes.get("/owner/credentials", use: credentialsPage)
        routes.post("/owner/credentials", use: rotateCredentials)
        return routes
    }

    /// The signed-in owner of a request.
    struct Signed {
        let session: OwnerSession
        let owner: Owner

        func audit(_ context: GatehouseRequestContext) -> AuditContext {
            AuditContext(actor: "owner:\(owner.id.rawValue)", requestID: context.requestID)
        }
    }

    // MARK: Sign-in

    @Sendable func home(request: Request, context: GatehouseRequestContext) async throws -> Response {
        ConsoleHTTP.redirect(try await signed(request, context: context) != nil ? "/owner/overview" : "/owner/sign-in")
    }

    @Sendable func signInPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        signInForm(request, error: nil, status: .ok)
    }

    /// The sign-in form with a fresh double-submit token (in the page and in its cookie).
    func signInForm(_ request: Request, error: String?, status: HTTPResponse.Status) -> Response {
        let token = RandomToken.secret(bits: 160)
        let strings = ConsoleStrings.table(request.pageLocale)
        var response = page(request, "signin", title: strings["signIn"] ?? "", model: [:], csrf: token, signed: nil, error: error, status: status)
        response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.signInCookie, token, maxAge: 1800)))
        return response
    }

    @Sendable func signIn(request: Request, context: GatehouseRequestContext) async throws -> Response {
        let form = try await ConsoleHTTP.form(request, context: context)
        let strings = ConsoleStrings.table(request.pageLocale)
        let expected = request.cookies[Self.signInCookie]?.value ?? ""
        guard !expected.isEmpty, let presented = form["csrf"], ConsoleSessionStore.constantTimeEquals(presented, expected) else {
            return signInForm(request, error: strings["badForm"], status: .forbidden)
        }
        try await authFailures.admit(request, context: context, kind: .owner)
        let key = (form["api_key"] ?? "").trimmingCharacters(in: .whitespaces)
        switch try await sessions.signIn(apiKey: key, logger: context.logger) {
        case .wrongKey:
            authFailures.recordFailure(request, context: context, kind: .owner)
            return signInForm(request, error: strings["badSignIn"], status: .unauthorized)
        case .suspended:
            return signInForm(request, error: strings["suspendedOwner"], status: .forbidden)
        case .opened(let issued):
            try await audit(
                AuditContext(actor: "owner:\(issued.owner.rawValue)", requestID: context.requestID), owner: issued.owner, AuditAction.signIn,
                ["key_prefix": .string(issued.keyPrefix)], logger: context.logger)
            var response = ConsoleHTTP.redirect("/owner/overview")
            response.headers.append(
                HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, issued.cookie, maxAge: Int(OwnerSessionRepository.lifetimeMillis / 1000))))
            response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.signInCookie, "", maxAge: 0)))
            return response
        }
    }

    @Sendable func signOut(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true, current: nil) { signed, _ in
            try await sessions.end(signed.session, logger: context.logger)
            try await audit(signed.audit(context), owner: signed.owner.id, AuditAction.signOut, [:], logger: context.logger)
            var response = ConsoleHTTP.redirect("/owner/sign-in")
            response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, "", maxAge: 0)))
            return response
        }
    }

    // MARK: Sessions and pages

    /// The request's live session and its (active) owner, or `nil`.
    func signed(_ request: Request, context: GatehouseRequestContext) async throws -> Signed? {
        guard let value = request.cookies[Self.sessionCookie]?.value, !value.isEmpty,
            let session = try await sessions.session(cookie: value, logger: context.logger),
            let owner = try await owners.get(session.owner, logger: context.logger), owner.status == .active
        else { return nil }
        return Signed(session: session, owner: owner)
    }

    /// Runs `body` for a signed-in owner (else redirects to sign-in); for a POST, first checks the form's CSRF token
    /// (403 without it). Errors become a page with a generic message (details only in the log, by request id).
    func withSession(
        _ request: Request, context: GatehouseRequestContext, post: Bool, current: String?,
        _ body: (Signed, [String: String]) async throws -> Response
    ) async throws -> Response {
        guard let signed = try await signed(request, context: context) else { return ConsoleHTTP.redirect("/owner/sign-in") }
        let strings = ConsoleStrings.table(request.pageLocale)
        var form: [String: String] = [:]
        if post {
            form = try await ConsoleHTTP.form(request, context: context)
            guard signed.session.acceptsCSRF(form["csrf"]) else {
                return message(request, signed: signed, current: current, error: strings["badForm"] ?? "", status: .forbidden)
            }
        }
        do {
            return try await body(signed, form)
        } catch {
            let failure = ConsoleHTTP.failure(error, generic: strings["failed"] ?? "", context: context)
            return message(request, signed: signed, current: current, error: failure.message, status: failure.status)
        }
    }

    /// A page that only says what went wrong.
    func message(_ request: Request, signed: Signed, current: String?, error: String, status: HTTPResponse.Status) -> Response {
        let strings = ConsoleStrings.table(request.pageLocale)
        let heading = current.flatMap { strings[$0 == "api-keys" ? "apiKeys" : $0] } ?? strings["brand"] ?? ""
        return page(request, "message", title: heading, model: ["heading": heading], signed: signed, current: current, error: error, status: status)
    }

    func page(
        _ request: Request, _ template: String, title: String, model: [String: Any], csrf: String? = nil, signed: Signed?, current: String? = nil,
        error: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        let locale = request.pageLocale
        let nonce = HTMLPage.makeNonce()
        let flash = request.uri.queryParameters["done"].flatMap { ConsoleStrings.table(locale)[String($0)] }
        let html = pages.render(
            template, model: model,
            chrome: .init(
                locale: locale, title: title, nonce: nonce, csrf: csrf ?? signed?.session.csrfToken ?? "", ownerName: signed?.owner.name,
                current: current, flash: flash, error: error))
        var headers = ConsoleHTTP.pageHeaders(nonce: nonce)
        if let cookie = request.languageCookie { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        ConsoleHTTP.cookie(name, value, path: "/owner", maxAge: maxAge, secure: secureCookies)
    }

    /// Appends a console change to the audit log (before its effect is shown).
    func audit(_ audit: AuditContext, owner: OwnerID, _ action: String, _ detail: AuditDetail, logger: Logger) async throws {
        _ = try await auditLog.append(
            AuditEntry(audit, ownerID: owner.rawValue, action: action, detail: detail.fields.isEmpty ? nil : detail), database: database, logger: logger)
    }
}
