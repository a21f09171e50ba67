// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import PayOS
public import Storage

/// `webhook_inbox`: every signed payOS webhook, keyed by (owner, orderCode, reference), so a duplicate is absorbed and a
/// row a crash left unprocessed is processed again. Written before the webhook's effect; marked processed with it.
public struct WebhookInboxRepository: SQLRepository {
    public let storage: RepositoryStorage

    public init(storage: RepositoryStorage) {
        self.storage = storage
    }

    /// Stores a verified webhook unless its key is already there. Returns `false` when it was (nothing written).
    ///
    /// - Parameter leaseUntil: the row is stored already claimed until then (Unix ms) by the caller, who settles it
    ///   next (``WebhookInboxWorker``): other workers leave it alone until then, and take it over after (a crash).
    public func insert(owner: OwnerID, _ data: PayOSWebhookData, body: [UInt8], leaseUntil: Int64, logger: Logger) async throws -> Bool {
        let inserted = try await database.execute(
            """
            \(unescaped: database.dialect.insertIgnore) INTO webhook_inbox
                (owner_id, order_code, reference, payment_link_id, amount, body, received_at, transaction_at, attempts, next_attempt_at)
            VALUES (\(owner), \(data.orderCode), \(data.reference), \(data.paymentLinkId), \(data.amount), \(String(decoding: body, as: UTF8.self)),
                \(clock.now()), \(PayOSTransactionTime.millis(data.transactionDateTime)), 1, \(leaseUntil))
            """, logger: logger)
        return inserted.affectedRows > 0
    }

    /// As ``insert(owner:_:body:leaseUntil:logger:)``, sharing one statement with the webhooks `batcher` is storing at the
    /// same moment (``WebhookInboxBatcher``).
    func insert(
        owner: OwnerID, _ data: PayOSWebhookData, body: [UInt8], leaseUntil: Int64, batcher: WebhookInboxBatcher, logger: Logger
    ) async throws -> Bool {
        let row = WebhookInboxBatcher.Row(
            key: WebhookInboxKey(owner: owner, orderCode: data.orderCode, reference: data.reference), data: data,
            body: String(decoding: body, as: UTF8.self), receivedAt: clock.now(), leaseUntil: leaseUntil)
        return try await batcher.insert(row, database: database, logger: logger)
    }

    /// Unsettled webhooks whose lease or backoff ended by `now` (Unix ms), oldest due first.
    public func due(now: Int64, limit: Int, logger: Logger) async throws -> [WebhookInboxEntry] {
        try await database.query(
            """
            SELECT owner_id, order_code, reference, body, attempts, next_attempt_at, received_at FROM webhook_inbox
            WHERE processed_at IS NULL AND next_attempt_at <= \(now) AND owner_id IS NOT NULL
            ORDER BY next_attempt_at LIMIT \(limit)
            """, logger: logger
        ).map { row in
            WebhookInboxEntry(
                key: .init(owner: OwnerID(try row.decode("owner_id", as: Int64.self)), orderCode: try row.decode("order_code"), reference: try row.decode("reference")),
                body: Array(try row.decode("body", as: String.self).utf8), attempts: try row.decode("attempts", as: Int.self),
                lease: try row.decode("next_attempt_at"), receivedAt: try row.decode("received_at"))
        }
    }

    /// Claims a due row read by ``due(now:limit:)`` until `leaseUntil`, counting the attempt. `false` when another
    /// worker claimed it first or it was settled meanwhile: only one conditional update can match the value read.
    public func claim(_ entry: WebhookInboxEntry, leaseUntil: Int64, logger: Logger) async throws -> Bool {
        let key = entry.key
        return try await database.execute(
            """
            UPDATE webhook_inbox SET next_attempt_at = \(leaseUntil), attempts = attempts + 1
            WHERE owner_id = \(key.owner) AND order_code = \(key.orderCode) AND reference = \(key.reference)
                AND processed_at IS NULL AND next_attempt_at = \(entry.lease)
            """, logger: logger
        ).affectedRows == 1
    }

    /// Gives back a row whose settlement failed: due again at `retryAt` (Unix ms), with a stable error code. Only while
    /// the caller's lease (`lease`) still holds it.
    public func release(_ key: WebhookInboxKey, lease: Int64, retryAt: Int64, error: String, logger: Logger) async throws {
        try await database.execute(
            """
            UPDATE webhook_inbox SET next_attempt_at = \(retryAt), last_error = \(String(error.prefix(64)))
            WHERE owner_id = \(key.owner) AND order_code = \(key.orderCode) AND reference = \(key.reference)
                AND processed_at IS NULL AND next_attempt_at = \(lease)
            """, logger: logger)
    }

    /// How many webhooks are stored and not settled yet.
    public func unsettledCount(logger: Logger) async throws -> Int {
        try await database.query("SELECT COUNT(*) AS n FROM webhook_inbox WHERE processed_at IS NULL", logger: logger)
            .first?.decode("n", as: Int.self) ?? 0
    }

    /// Whether the webhook with this key was processed (its effect committed).
    public func isProcessed(owner: OwnerID, orderCode: Int64, reference: String, logger: Logger) async throws -> Bool {
        try await database.query(
            """
            SELECT processed_at FROM webhook_inbox
            WHERE owner_id = \(owner) AND order_code = \(orderCode) AND reference = \(reference)
            """, logger: logger
        ).first.flatMap { try $0.decodeIfPresent("processed_at", as: Int64.self) } != nil
    }

    /// Marks the webhook processed with `outcome` (once: a row already processed keeps its first outcome).
    public func markProcessed(owner: OwnerID, orderCode: Int64, reference: String, outcome: String, logger: Logger) async throws {
        try await database.withConnection(logger: logger) {
            try await markProcessed(owner: owner, orderCode: orderCode, reference: reference, outcome: outcome, on: $0)
        }
    }

    /// As ``markProcessed(owner:orderCode:reference:outcome:logger:)``, on the caller's connection (inside the
    /// transaction that applies the webhook's effect).
    public func markProcessed(owner: OwnerID, orderCode: Int64, reference: String, outcome: String, on connection: any SQLConnection) async throws {
        try await connection.execute(
            """
            UPDATE webhook_inbox SET processed_at = \(clock.now()), outcome = \(outcome)
            WHERE owner_id = \(owner) AND order_code = \(orderCode) AND reference = \(reference) AND processed_at IS NULL
            """)
    }

    /// The sum of the order's distinct signed transfers received so far whose `data.code` is `"00"` (`nil` when none
    /// is stored). A signed webhook with another code reports a transfer that did not succeed, so it pays nothing.
    ///
    /// The code is read from the stored body (every row holds a body that verified), in Swift: an order has a handful
    /// of rows, and reading JSON in SQL differs between the backends.
    public func paidTotal(owner: OwnerID, orderCode: Int64, logger: Logger) async throws -> Int64? {
        let rows = try await database.query(
            "SELECT amount, body FROM webhook_inbox WHERE owner_id = \(owner) AND order_code = \(orderCode)", logger: logger)
        var total: Int64?
        for row in rows {
            let body = try row.decode("body", as: String.self)
            guard Self.reportsSuccess(body: body) else { continue }
            total = (total ?? 0) + (try row.decode("amount", as: Int64.self))
        }
        return total
    }

    /// Whether a stored webhook body's signed `data.code` is `"00"`.
    static func reportsSuccess(body: String) -> Bool {
        guard let value = try? JSONValue(parsing: Array(body.utf8)) else { return false }
        return value["data"]?["code"]?.stringValue == "00"
    }
}

/// The identity of one stored webhook: payOS may deliver it again, and it is absorbed by this key.
public struct WebhookInboxKey: Sendable, Hashable {
    public let owner: OwnerID
    public let orderCode: Int64
    public let reference: String

    public init(owner: OwnerID, orderCode: Int64, reference: String) {
        self.owner = owner
        self.orderCode = orderCode
        self.reference = reference
    }
}

/// An unsettled row of `webhook_inbox` as a worker reads it.
public struct WebhookInboxEntry: Sendable, Hashable {
    public let key: WebhookInboxKey
    /// The body as received (it verified then).
    public let body: [UInt8]
    /// Attempts started so far.
    public let attempts: Int
    /// `next_attempt_at` as read: the claim's condition.
    public let lease: Int64
    /// When it was received (Unix ms).
    public let receivedAt: Int64
}
