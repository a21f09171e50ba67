// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// Who a web notification is for: an owner (by owner id) or a renter (by the payment their link opens — renters
/// have no account).
public enum NotificationRecipient: Sendable, Hashable {
    case owner(OwnerID)
    case renter(PaymentID)

    /// The `recipient_kind` column.
    var kind: String {
        switch self {
        case .owner: "owner"
        case .renter: "renter"
        }
    }

    /// The `recipient_id` column.
    var id: Int64 {
        switch self {
        case .owner(let owner): owner.rawValue
        case .renter(let payment): payment.rawValue
        }
    }
}

/// A notification shown in a web page (the renter's status page, an owner's dashboard).
public struct WebNotification: Sendable, Hashable {
    public let id: Int64
    /// e.g. `payment_success`, `payment_received`.
    public let kind: String
    public let title: String?
    public let message: String?
    public let paymentID: PaymentID?
    /// Unix ms.
    public let createdAt: Int64
}

/// A web notification to store.
public struct NewWebNotification: Sendable, Hashable {
    public var ownerID: OwnerID
    public var recipient: NotificationRecipient
    public var paymentID: PaymentID?
    public var kind: String
    public var title: String?
    public var message: String?

    public init(ownerID: OwnerID, recipient: NotificationRecipient, paymentID: PaymentID?, kind: String, title: String?, message: String?) {
        self.ownerID = ownerID
        self.recipient = recipient
        self.paymentID = paymentID
        self.kind = kind
        self.title = title
        self.message = message
    }
}

/// The answer to "anything new for me?": the seed's `{has_new, notifications}`.
public struct NotificationCheck: Sendable, Hashable {
    /// The unread notifications, oldest first; now marked read.
    public let notifications: [WebNotification]
    public var hasNew: Bool { !notifications.isEmpty }
}

/// Web notifications (the `notification` table): written inside business transactions, read once by their recipient.
public struct WebNotifications: SQLRepository {
    public let storage: RepositoryStorage

    public init(storage: RepositoryStorage) {
        self.storage = storage
    }

    /// Returns the recipient's unread notifications (at most `limit`, oldest first) and marks them read, in one
    /// transaction: each notification is delivered by one check only, even when two pages poll at once (the rows are
    /// read with a locking read on MariaDB; SQLite's write transaction excludes the other check).
    ///
    /// Access is the caller's job: pass only a recipient the request proved to be (an owner's API key, a payment's
    /// renter token). Owner and renter notifications never mix, even when an owner id equals a payment id.
    public func check(recipient: NotificationRecipient, limit: Int = 50, logger: Logger) async throws -> NotificationCheck {
        let limit = max(1, min(limit, 200))
        let now = clock.now()
        let notifications = try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT id, kind, title, message, payment_id, created_at FROM notification
                WHERE recipient_kind = \(recipient.kind) AND recipient_id = \(recipient.id) AND read_at IS NULL
                ORDER BY id LIMIT \(limit)\(unescaped: connection.dialect.forUpdate)
                """)
            let notifications = try rows.map { row in
                WebNotification(
                    id: try row.decode("id"), kind: try row.decode("kind"), title: try row.decodeIfPresent("title"),
                    message: try row.decodeIfPresent("message"), paymentID: try row.decodeIfPresent("payment_id"),
                    createdAt: try row.decode("created_at"))
            }
            if !notifications.isEmpty {
                try await connection.execute(
                    """
                    UPDATE notification SET read_at = \(now)
                    WHERE id IN \(list: notifications.map(\.id)) AND recipient_kind = \(recipient.kind) AND recipient_id = \(recipient.id)
                    """)
            }
            return notifications
        }
        return NotificationCheck(notifications: notifications)
    }

    /// Stores notifications on the caller's connection (inside its transaction), in one statement, skipping each one
    /// whose recipient already has a notification of the same kind for the same payment (so a repeated call adds
    /// nothing; `ux_notification_payment`). Notifications without a payment are always stored.
    public func insert(_ notifications: [NewWebNotification], on connection: any SQLConnection) async throws {
        let now = clock.now()
        func values(_ notification: NewWebNotification) -> SQLQuery {
            let title = notification.title.map { String(String.UnicodeScalarView($0.unicodeScalars.prefix(200))) }
            return """
                (\(notification.ownerID), \(notification.recipient.kind), \(notification.recipient.id), \(notification.paymentID),
                 \(notification.kind), \(title), \(notification.message), \(now))
                """
        }
        try await connection.insertSkippingDuplicates(
            "INSERT INTO notification (owner_id, recipient_kind, recipient_id, payment_id, kind, title, message, created_at) VALUES ",
            rows: notifications.map(values))
    }

    /// Stores one notification, as the array form of `insert(_:on:)` does.
    public func insert(_ notification: NewWebNotification, on connection: any SQLConnection) async throws {
        try await insert([notification], on: connection)
    }
}
