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
    public func insert(owner: OwnerID, _ data: PayOSWebhookData, body: [UInt8], logger: Logger) async throws -> Bool {
        let inserted = try await database.execute(
            """
            \(unescaped: database.dialect.insertIgnore) INTO webhook_inbox
                (owner_id, order_code, reference, payment_link_id, amount, body, received_at, transaction_at)
            VALUES (\(owner), \(data.orderCode), \(data.reference), \(data.paymentLinkId), \(data.amount), \(String(decoding: body, as: UTF8.self)),
                \(clock.now()), \(PayOSTransactionTime.millis(data.transactionDateTime)))
            """, logger: logger)
        return inserted.affectedRows > 0
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

    /// Marks the webhook processed with `outcome`.
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
            WHERE owner_id = \(owner) AND order_code = \(orderCode) AND reference = \(reference)
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
