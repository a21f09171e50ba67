// Copyright (c) the Gatehouse authors
import CoreMetrics
import GatehouseCore
import Logging
import Notifications
@testable import PayOS
import PayOSSandbox
import Payments
import Storage
import StorageTestSupport
import Synchronization
import Tenancy
import Testing
import Vault

/// A wall clock that follows the real one plus an offset the test moves by hand (past an idempotency takeover), so
/// the sandbox still accepts the links' expiry times.
final class TestClock: Sendable {
    private let offset = Mutex<Int64>(0)

    var wallClock: WallClock { WallClock { WallClock.system.now() + self.offset.withLock { $0 } } }

    func advance(byMillis millis: Int64) { offset.withLock { $0 += millis } }
}

/// A gate a test holds closed to keep work waiting, then opens (open by default).
actor TestGate {
    private var closed = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func close() { closed = true }

    func open() {
        closed = false
        for continuation in waiting { continuation.resume() }
        waiting = []
    }

    func pass() async {
        guard closed else { return }
        await withCheckedContinuation { waiting.append($0) }
    }
}

/// The payment and webhook services wired as `GatehouseComponents.open` wires them — every collaborator passed to
/// `init` — over a fresh database of the backend and an in-process payOS sandbox with one channel (the owner's payOS
/// account, whose credentials are in the vault). One owner with one booking of 500.000 ₫.
struct PaymentsWorld: Sendable {
    static let channel = SandboxChannel(
        clientId: "gh-payments-tests", apiKey: "sandbox-api-key-payments", checksumKey: "sandbox-checksum-key-payments-3a7f1c")

    let database: any SQLDatabase
    let sandbox: PayOSSandbox
    let clock: TestClock
    let payments: PaymentService
    let webhooks: WebhookService
    let settlement: PaymentSettlement
    let keyAccess: TenantKeyAccess
    let vault: Vault
    let credentials: OwnerCredentialsService
    let idempotencyKeys: IdempotencyKeyRepository
    let repository: PaymentRepository
    let owner: Owner
    let booking: Booking
    let logger: Logger
    /// The confirming GETs shared by ``payments`` and ``webhooks``.
    let linkFetches: PaymentLinkFetches
    /// Every confirming GET passes this gate first (open unless a test holds it).
    let getGate: TestGate
    /// Builds another instance's payment service over the same database and payOS (its own in-process state).
    let anotherInstance: @Sendable () -> PaymentService
    /// As ``anotherInstance``, waiting at most this many milliseconds for another request's link claim.
    let anotherInstanceWaitingForClaims: @Sendable (_ linkClaimWaitMillis: Int64) -> PaymentService

    static let audit = AuditContext(actor: "test:payments")

    /// Builds everything, runs `body`, and stops the sandbox (also when `body` throws).
    /// - Parameters:
    ///   - payOSCap: the owner's cap on calls to payOS.
    ///   - confirmWithPayOS: whether webhooks are confirmed with payOS before a PAID is trusted.
    static func run<T: Sendable>(
        _ backend: TestBackend, payOSCap: RateLimitPolicy = RateLimitPolicy(requestsPerSecond: 100, burst: 100),
        confirmWithPayOS: Bool = true, _ body: @Sendable (PaymentsWorld) async throws -> T
    ) async throws -> T {
        let logger = TestDatabases.logger
        return try await withTestDatabase(backend, logger: logger) { database in
            let sandbox = PayOSSandbox(configuration: .init(channels: [channel], webhookTimeout: .seconds(2)), logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await sandbox.run() }
                defer { group.cancelAll() }
                let world = try await make(
                    database: database, sandbox: sandbox, payOSURL: try await sandbox.baseURL(), payOSCap: payOSCap,
                    confirmWithPayOS: confirmWithPayOS, logger: logger)
                return try await body(world)
            }
        }
    }

    private static func make(
        database: any SQLDatabase, sandbox: PayOSSandbox, payOSURL: String, payOSCap: RateLimitPolicy, confirmWithPayOS: Bool,
        logger: Logger
    ) async throws -> PaymentsWorld {
        let clock = TestClock()
        let wallClock = clock.wallClock
        let vault = Vault(database: database, masterKeys: try MasterKeyRing(configuration: MasterKeyRing.generateEntry(version: 1)), clock: wallClock)
        let auditLog = AuditLog(clock: wallClock)
        try await auditLog.prepare(database: database, logger: logger)
        let payOS = PayOSClient(httpClient: PayOSClient.sharedHTTPClient, configuration: .init(baseURL: payOSURL))
        let unlimited = RateLimitPolicy(requestsPerSecond: 1_000, burst: 1_000)
        let keyAccess = TenantKeyAccess(
            vault: vault, rateLimiter: TenantRateLimiter(defaults: .init(requests: unlimited, payOS: payOSCap, perIP: unlimited)),
            cache: TenantKeyCache(configuration: .init(capacity: 64, timeToLive: .seconds(60)), invalidations: vault.keyInvalidations, clock: wallClock))
        let owners = OwnerRepository(database: database, clock: wallClock)
        let webhookKeys = WebhookKeys(hasher: TokenHasher(pepper: Array(repeating: 9, count: 32)))
        let credentials = OwnerCredentialsService(
            database: database, vault: vault, keyAccess: keyAccess, owners: owners,
            paymentConfig: PaymentConfigRepository(database: database, clock: wallClock), payOS: payOS, webhookKeys: webhookKeys,
            publicURL: "https://pay.example.vn")

        let bookings = BookingRepository(database: database, clock: wallClock)
        let repository = PaymentRepository(database: database, clock: wallClock)
        let statusView = PaymentStatusView(repository: repository)
        let tokens = RenterTokens(hasher: TokenHasher(pepper: Array(repeating: 7, count: 32)))
        let settlement = PaymentSettlement(
            database: database, payments: repository,
            notifications: PaymentNotifications(
                outbox: NotificationOutbox(database: database, clock: wallClock), web: WebNotifications(database: database, clock: wallClock),
                configuration: .init(publicURL: "https://pay.example.vn", linksRenterToken: true), logger: logger),
            statusView: statusView)
        let idempotencyKeys = IdempotencyKeyRepository(database: database)
        // The confirming GETs pass `getGate` first (open unless a test holds it), so a test can hold a GET in flight.
        let getGate = TestGate()
        let realGET = PaymentLinkFetches.payOSGET(keyAccess: keyAccess, payOS: payOS)
        let makeFetches: @Sendable () -> PaymentLinkFetches = {
            PaymentLinkFetches { owner, orderCode, purpose, audit, logger in
                await getGate.pass()
                return try await realGET(owner, orderCode, purpose, audit, logger)
            }
        }
        let linkFetches = makeFetches()
        let makePayments: @Sendable (PaymentLinkFetches, Int64) -> PaymentService = { linkFetches, claimWait in
            PaymentService(
                database: database, bookings: bookings, payments: repository, idempotencyKeys: idempotencyKeys, settlement: settlement,
                keyAccess: keyAccess, payOS: payOS, linkFetches: linkFetches, tokens: tokens, statusView: statusView, clock: wallClock,
                // Requests for one booking wait for each other's link claim up to 2 min, not production's 10 s: ten of
                // them one after another outlasted 10 s on a loaded machine, and the tests assert what they end with.
                configuration: .init(publicURL: "https://pay.example.vn", linkClaimWaitMillis: claimWait))
        }
        let payments = makePayments(linkFetches, 120_000)
        let webhooks = WebhookService(
            owners: owners, webhookKeys: webhookKeys, payments: repository, statusView: statusView, inbox: WebhookInboxRepository(database: database, clock: wallClock), settlement: settlement,
            keyAccess: keyAccess, linkFetches: linkFetches, rejections: WebhookRejectionRepository(database: database, clock: wallClock),
            metrics: WebhookMetrics(factory: NOOPMetricsHandler.instance),
            onboardingProbes: OnboardingProbeRepository(database: database, clock: wallClock),
            // A first backoff of 10–20 s of the test clock (which runs with real time): "not due yet" right after a
            // failed attempt holds however slowly a loaded machine gets to the next line; tests advance 60 s.
            configuration: .init(confirmWithPayOS: confirmWithPayOS, baseBackoff: .seconds(20), maxBackoff: .seconds(40)))

        let owner = try await owners.create(name: "Nhà trọ Hoa Sen", email: "owner@example.vn", logger: logger)
        _ = try await credentials.store(
            owner: owner.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey, audit: audit, logger: logger)
        let (booking, _) = try await bookings.create(
            owner: owner.id,
            NewBooking(
                roomTitle: "Phòng 101", startTime: 1_800_000_000_000, endTime: 1_800_010_800_000, amount: 500_000,
                renterName: "Nguyễn Văn An", renterEmail: "renter@example.vn", renterPhone: nil),
            logger: logger)
        return PaymentsWorld(
            database: database, sandbox: sandbox, clock: clock, payments: payments, webhooks: webhooks, settlement: settlement,
            keyAccess: keyAccess, vault: vault, credentials: credentials, idempotencyKeys: idempotencyKeys, repository: repository, owner: owner, booking: booking, logger: logger,
            linkFetches: linkFetches, getGate: getGate, anotherInstance: { makePayments(makeFetches(), 120_000) },
            anotherInstanceWaitingForClaims: { makePayments(makeFetches(), $0) })
    }

    // MARK: Helpers

    /// Creates a payment of the booking (no idempotency key unless given).
    func createPayment(idempotencyKey: String? = nil, description: String? = nil) async throws -> CreatedPayment {
        try await payments.createPayment(
            owner: owner.id, PaymentRequest(bookingID: booking.id, description: description), idempotencyKey: idempotencyKey,
            audit: Self.audit, logger: logger)
    }

    /// Receives a webhook on the owner's URL and settles it, as an inbox worker would right after the acknowledgement.
    @discardableResult
    func receiveWebhook(_ body: [UInt8]) async throws -> WebhookService.Outcome {
        try await receiveAndSettle(body: body, webhookKey: credentials.webhookKeys.key(for: owner), audit: Self.audit, logger: logger).outcome
    }

    /// ``WebhookService/receive(body:webhookKey:audit:logger:)``, then the settlement of what it queued (on this task,
    /// as an inbox worker would right after the acknowledgement).
    @discardableResult
    func receiveAndSettle(
        body: [UInt8], webhookKey: String?, audit: AuditContext, logger: Logger
    ) async throws -> WebhookService.Receipt {
        let result = try await webhooks.receive(body: body, webhookKey: webhookKey, audit: audit, logger: logger)
        await webhooks.settleQueued(logger: logger)
        return result
    }

    /// The inbox as the webhook service sees it (same database, same clock).
    var webhookInbox: WebhookInboxRepository { WebhookInboxRepository(database: database, clock: clock.wallClock) }

    /// The payment as stored now.
    func stored(_ payment: Payment) async throws -> Payment {
        try #require(try await repository.get(payment.id, logger: logger))
    }

    /// A webhook body for a transfer to `payment`'s link, signed with `key` (the channel's checksum key by default).
    func webhookBody(for payment: Payment, reference: String, amount: Int64? = nil, key: String = channel.checksumKey) -> [UInt8] {
        webhookBody(orderCode: payment.orderCode, paymentLinkID: payment.paymentLinkID ?? "", reference: reference, amount: amount ?? payment.amount, key: key)
    }

    func webhookBody(orderCode: Int64, paymentLinkID: String, reference: String, amount: Int64, key: String = channel.checksumKey) -> [UInt8] {
        let data = PayOSWebhookData(
            accountNumber: "VQRQ0001", amount: amount, description: "CSX Dat phong", reference: reference,
            transactionDateTime: "2026-11-26 10:00:00", counterAccountBankId: "970436", counterAccountName: "NGUYEN VAN AN",
            orderCode: orderCode, paymentLinkId: paymentLinkID)
        return Array(JSONValue.object(PayOSWebhookBody.signed(data, checksumKey: key).toJSON()).compactText.utf8)
    }

    /// Rows in `table` (a fixed table name from the test), optionally narrowed by a fixed condition.
    func count(_ table: String, where condition: String = "1 = 1") async throws -> Int {
        let rows = try await database.query(SQLQuery(unsafeSQL: "SELECT COUNT(*) AS n FROM \(table) WHERE \(condition)"), logger: logger)
        return Int(try rows.first?.decode("n", as: Int64.self) ?? 0)
    }
}
