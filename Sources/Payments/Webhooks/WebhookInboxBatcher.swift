// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import PayOS
import Storage

/// Group insert for ``WebhookInboxRepository/insert(owner:_:body:leaseUntil:logger:)``: webhooks arriving at the same
/// moment share one statement and one commit instead of one each.
///
/// Each caller queues its row (a ``GroupCommitQueue``); each batch (at most ``maxBatch`` rows)
/// runs ONE `INSERT IGNORE … VALUES (…), (…) … RETURNING owner_id, order_code, reference` (MariaDB 10.5+, SQLite
/// 3.35+: only the rows actually inserted come back), then resumes every caller with whether its row was new. The
/// next batch accumulates while one is in flight, so batches grow with the load and a lone webhook waits for nobody.
/// Two copies of one webhook in the same batch: the first is "new" if the statement inserted it, the later ones are
/// duplicates. A failed statement fails every caller in its batch (nothing of it was stored; each answers 5xx and
/// payOS delivers again).
final class WebhookInboxBatcher: Sendable {
    static let maxBatch = 64

    struct Row: Sendable {
        let key: WebhookInboxKey
        let data: PayOSWebhookData
        let body: String
        let receivedAt: Int64
        let leaseUntil: Int64
    }

    private let queue = GroupCommitQueue<(row: Row, logger: Logger), Bool>(maxBatch: maxBatch)

    /// Queues `row` and returns once its batch ran: `true` when it was stored, `false` when its key was already there.
    func insert(_ row: Row, database: any SQLDatabase, logger: Logger) async throws -> Bool {
        try await queue.submit((row, logger)) { batch in
            let logger = batch[0].logger
            do {
                let inserted = try await Self.insert(batch.map(\.row), database: database, logger: logger)
                var answered = Set<WebhookInboxKey>()
                // Only the first copy of a key in the batch can be the one the statement inserted.
                return batch.map { answered.insert($0.row.key).inserted && inserted.contains($0.row.key) }
            } catch {
                logger.warning("webhook inbox batch failed", metadata: ["webhook.rows": "\(batch.count)", "error.type": "\(type(of: error))"])
                throw error
            }
        }
    }

    /// One statement for the batch; the keys it inserted.
    private static func insert(_ rows: [Row], database: any SQLDatabase, logger: Logger) async throws -> Set<WebhookInboxKey> {
        var query: SQLQuery = """
            \(unescaped: database.dialect.insertIgnore) INTO webhook_inbox
                (owner_id, order_code, reference, payment_link_id, amount, body, received_at, transaction_at, attempts, next_attempt_at)
            VALUES 
            """
        for (index, row) in rows.enumerated() {
            let data = row.data
            query += """
                \(unescaped: index == 0 ? "" : ", ")(\(row.key.owner), \(data.orderCode), \(data.reference), \(data.paymentLinkId), \(data.amount), \
                \(row.body), \(row.receivedAt), \(PayOSTransactionTime.millis(data.transactionDateTime)), 1, \(row.leaseUntil))
                """
        }
        query += " RETURNING owner_id, order_code, reference"
        let returned = try await database.query(query, logger: logger)
        return Set(
            try returned.map { row in
                WebhookInboxKey(
                    owner: OwnerID(try row.decode("owner_id", as: Int64.self)), orderCode: try row.decode("order_code"),
                    reference: try row.decode("reference"))
            })
    }
}
