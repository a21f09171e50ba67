// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import PayOS
public import Storage

/// The one place a payment's state changes: the state machine's transition, the notifications of a success, the
/// caller's own bookkeeping (a webhook marked processed) and the owner's daily rollup commit in one transaction, and the status view and the outbox
/// worker hear of the change after it commits. Every path that settles — the return page, the cancel redirect, reconciliation and
/// webhooks — goes through one value built once by the composition root, so none can settle without notifying.
public struct PaymentSettlement: Sendable {
    let database: any SQLDatabase
    let payments: PaymentRepository
    let notifications: PaymentNotifications
    let statusView: PaymentStatusView

    /// - Parameters:
    ///   - notifications: enqueued inside the settlement transaction of every change to `success`.
    ///   - statusView: told of each committed change (renter polls answer from it).
    public init(database: any SQLDatabase, payments: PaymentRepository, notifications: PaymentNotifications, statusView: PaymentStatusView) {
        self.database = database
        self.payments = payments
        self.notifications = notifications
        self.statusView = statusView
    }

    /// Applies an event in one transaction and publishes the change to the status view after it commits.
    ///
    /// - Parameter alsoInTransaction: more work that must commit or roll back with the state change (marking a
    ///   webhook processed); it gets the change, or `nil` when nothing changed.
    /// - Returns: the change, or `nil` when the event changed nothing (already settled, or not a valid transition).
    @discardableResult
    public func settle(
        _ id: PaymentID, event: PaymentEvent, reference: String?, logger: Logger,
        alsoInTransaction: (@Sendable (any SQLConnection, PaymentStatusChange?) async throws -> Void)? = nil
    ) async throws -> PaymentStatusChange? {
        let (change, mailed) = try await database.withTransaction(logger: logger) { connection in
            let change = try await payments.apply(event, to: id, reference: reference, on: connection)
            // Notifications commit with the state change or not at all: none is lost, none is sent for a rolled-back change.
            let mailed = if let change { try await notifications.enqueue(for: change, on: connection) } else { false }
            try await alsoInTransaction?(connection, change)
            // Last: the owner's day row is one row for all of the day's settlements, so its lock is held only until
            // the commit that follows, not through the notifications above.
            if let change, change.to == .success, change.from != .success, let createdAt = change.paymentCreatedAt, let source = change.settledBy {
                try await PaymentRollup.recordSucceeded(
                    owner: change.ownerID, createdAt: createdAt, amountPaid: change.amountPaid, source: source, on: connection)
            }
            return (change, mailed)
        }
        // Committed: this instance's outbox worker sends the e-mails now rather than at its next poll.
        if mailed { notifications.emailsCommitted() }
        if let change {
            statusView.publish(change)
            logger.info(
                "payment status changed",
                metadata: [
                    "payment.id": "\(id)", "payment.from": "\(change.from.rawValue)", "payment.to": "\(change.to.rawValue)",
                    "payment.settled_by": "\(change.settledBy?.rawValue ?? "-")",
                ])
        }
        return change
    }

    /// What a payOS link's state means for our payment; `nil` when nothing has happened yet.
    ///
    /// - Parameter pastExpiry: whether the payment's link has expired by our clock. payOS keeps reporting a partly
    ///   paid link UNDERPAID after it expired (money was received, so it never turns EXPIRED); once expired, no more
    ///   can be paid, so that is an ending: the payment ends failed-underpaid and what was received is owed back.
    public static func event(for link: PaymentLink, source: SettlementSource, pastExpiry: Bool = false) -> PaymentEvent? {
        let total = link.amountPaid
        switch link.status {
        case .paid: return .paid(totalPaid: total, source: source)
        case .underpaid: return pastExpiry ? .expired(source: source, totalPaid: total) : .paid(totalPaid: total, source: source)
        case .pending, .processing: return total > 0 ? .paid(totalPaid: total, source: source) : nil
        case .cancelled: return .cancelled(source: source, totalPaid: total)
        case .expired: return .expired(source: source, totalPaid: total)
        case .failed: return .failed(source: source, totalPaid: total)
        }
    }
}
