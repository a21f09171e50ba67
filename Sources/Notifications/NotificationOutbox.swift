// Copyright (c) the Gatehouse authors
public import Logging
import Mailer
public import Storage
public import GatehouseCore

/// An e-mail to send later, written to the `outbox` table in the same transaction as the change it reports.
public struct OutboxEmail: Sendable, Hashable {
    public var ownerID: OwnerID
    /// What the e-mail is about, e.g. `payment_success_renter` (≤ 32 characters; for listings and metrics).
    public var kind: String
    /// The recipient's plain `local@domain` address.
    public var recipient: String
    /// One line, ≤ 300 characters.
    public var subject: String
    /// The plain-text body.
    public var body: String
    /// Names the logical e-mail (e.g. `payment:42:renter:success`, ≤ 128 characters): the outbox holds at most one
    /// row per key, so enqueueing the same e-mail twice (a retried transaction, a second settlement path) sends it once.
    public var dedupeKey: String
    /// The payment whose renter link the body carries, by payment code: the body holds
    /// ``renterTokenPlaceholder`` where the link's token goes, and the worker puts the token in at send time. The
    /// token itself is never stored (renter tokens are not kept anywhere, only their keyed hashes).
    public var renterLinkPaymentCode: String?

    /// Stands for the renter token in a stored body (`…/payment/success/42?t={{renter_token}}`).
    public static let renterTokenPlaceholder = "{{renter_token}}"

    public init(
        ownerID: OwnerID, kind: String, recipient: String, subject: String, body: String, dedupeKey: String, renterLinkPaymentCode: String? = nil
    ) {
        self.ownerID = ownerID
        self.kind = kind
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.dedupeKey = dedupeKey
        self.renterLinkPaymentCode = renterLinkPaymentCode
    }
}

/// Where an outbox row is in its life: `pending` (waiting, or leased by a worker), `sent`, or `dead` (gave up).
public enum OutboxStatus: String, Sendable, Hashable, CaseIterable {
    case pending
    case sent
    case dead
}

/// An outbox row as stored.
public struct OutboxEntry: Sendable, Hashable {
    public let id: Int64
    public let ownerID: OwnerID
    public let kind: String
    public let recipient: String
    public let subject: String
    public let body: String
    public let dedupeKey: String
    /// See ``OutboxEmail/renterLinkPaymentCode``.
    public let renterLinkPaymentCode: String?
    public let status: OutboxStatus
    /// Delivery attempts started (a worker counts an attempt when it claims the row).
    public let attempts: Int
    /// Unix ms: when the row is due (pending), or until when a worker holds it.
    public let nextAttemptAt: Int64
    /// The last failure's generic code (e.g. `MailerError(connectionFailed)`); never a server message or a secret.
    public let lastError: String?
    public let createdAt: Int64
    public let sentAt: Int64?
}

/// The e-mail outbox: enqueue inside a business transaction, deliver later with ``OutboxWorker``.
///
/// This is the transactional-outbox pattern: the e-mail row commits or rolls back with the payment change it reports,
/// so a settled payment always gets its e-mails (once the worker runs) and a rolled-back one never does.
public struct NotificationOutbox: SQLRepository {
    public let storage: RepositoryStorage
    /// Fired after e-mail this instance enqueued has committed, so its ``OutboxWorker`` sends it at once instead of at
    /// its next poll. `enqueue` runs inside the caller's transaction and cannot fire it: the caller does, after commit
    /// (``wakeWorker()``).
    public let wakeup: WakeUpSignal?

    public init(storage: RepositoryStorage) {
        self.storage = storage
        self.wakeup = nil
    }

    /// - Parameter wakeup: shared with this instance's ``OutboxWorker`` (the composition root makes one).
    public init(database: any SQLDatabase, clock: WallClock = .system, wakeup: WakeUpSignal?) {
        self.storage = RepositoryStorage(database: database, clock: clock)
        self.wakeup = wakeup
    }

    /// Tells this instance's worker that e-mail has committed. Call it after the transaction that enqueued it commits.
    public func wakeWorker() {
        wakeup?.signal()
    }

    /// Inserts `email` as a pending row due now, on the caller's connection (inside its transaction).
    ///
    /// - Returns: `true` when the row was inserted, `false` when a row with the same ``OutboxEmail/dedupeKey`` already
    ///   exists (the e-mail is already queued or sent: nothing changes).
    /// - Throws: ``TenancyError`` `validation` for an unusable address, kind, subject or key (checked before any SQL);
    ///   storage errors as they come (they roll the caller's transaction back, as they should).
    @discardableResult
    public func enqueue(_ email: OutboxEmail, on connection: any SQLConnection) async throws -> Bool {
        try await enqueue([email], on: connection)
    }

    /// Inserts `emails` as pending rows due now, in one statement, on the caller's connection (inside its transaction);
    /// each one whose ``OutboxEmail/dedupeKey`` is already stored is skipped.
    ///
    /// - Returns: whether any row was inserted.
    /// - Throws: ``TenancyError`` `validation` when any of them is unusable (checked for all before any SQL, so nothing is
    ///   written); storage errors as they come.
    @discardableResult
    public func enqueue(_ emails: [OutboxEmail], on connection: any SQLConnection) async throws -> Bool {
        for email in emails { try Self.validate(email) }
        let now = clock.now()
        func values(_ email: OutboxEmail) -> SQLQuery {
            """
            (\(email.ownerID), \(email.kind), \(email.recipient), \(email.subject), \(email.body), \(email.dedupeKey),
             \(email.renterLinkPaymentCode), 'pending', 0, \(now), \(now))
            """
        }
        let insert: SQLQuery =
            "INSERT INTO outbox (owner_id, kind, recipient, subject, body, dedupe_key, link_payment_code, status, attempts, next_attempt_at, created_at) VALUES "
        let inserted = try await connection.insertSkippingDuplicates(insert, rows: emails.map(values))
        return inserted > 0
    }

    /// Puts a `dead` row back to `pending`, due now, with its attempts reset (for admins, after fixing the cause).
    /// - Returns: `false` when there is no such row or it is not dead.
    @discardableResult
    public func resend(id: Int64, logger: Logger) async throws -> Bool {
        let now = clock.now()
        let result = try await database.execute(
            """
            UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = \(now), last_error = NULL
            WHERE id = \(id) AND status = 'dead'
            """, logger: logger)
        guard result.affectedRows == 1 else { return false }
        wakeWorker()
        return true
    }

    /// One row, or `nil`.
    public func entry(id: Int64, logger: Logger) async throws -> OutboxEntry? {
        try await database.query("SELECT \(unescaped: Self.columns) FROM outbox WHERE id = \(id)", logger: logger).first.map(Self.decode)
    }

    /// Rows newest first, optionally of one status (for the admin view and diagnostics).
    public func entries(status: OutboxStatus? = nil, owner: OwnerID? = nil, limit: Int = 100, logger: Logger) async throws -> [OutboxEntry] {
        let limit = max(1, min(limit, 1000))
        var query: SQLQuery = "SELECT \(unescaped: Self.columns) FROM outbox WHERE 1 = 1"
        if let status { query = query + " AND status = \(status.rawValue)" }
        if let owner { query = query + " AND owner_id = \(owner)" }
        query = query + " ORDER BY id DESC LIMIT \(limit)"
        return try await database.query(query, logger: logger).map(Self.decode)
    }

    // MARK: Helpers

    public static func validate(_ email: OutboxEmail) throws(TenancyError) {
        guard !email.kind.isEmpty, email.kind.unicodeScalars.count <= 32 else { throw .validation("outbox kind must be 1 to 32 characters") }
        guard !email.dedupeKey.isEmpty, email.dedupeKey.unicodeScalars.count <= 128 else {
            throw .validation("outbox dedupe key must be 1 to 128 characters")
        }
        guard (try? MailAddress(email.recipient)) != nil, email.recipient == email.recipient.trimmingSpaces else {
            throw .validation("outbox recipient is not a plain e-mail address")
        }
        guard !email.subject.isEmpty, email.subject.unicodeScalars.count <= 300, !email.subject.contains(where: \.isNewline) else {
            throw .validation("outbox subject must be one line of 1 to 300 characters")
        }
        if let code = email.renterLinkPaymentCode, code.isEmpty || code.unicodeScalars.count > 100 {
            throw .validation("outbox link payment code must be 1 to 100 characters")
        }
    }

    static let columns = """
        id, owner_id, kind, recipient, subject, body, dedupe_key, link_payment_code, status, attempts, next_attempt_at, last_error,
        created_at, sent_at
        """

    static func decode(_ row: SQLRow) throws -> OutboxEntry {
        OutboxEntry(
            id: try row.decode("id"), ownerID: try row.decode("owner_id"), kind: try row.decode("kind"),
            recipient: try row.decode("recipient"), subject: try row.decodeIfPresent("subject") ?? "",
            body: try row.decodeIfPresent("body") ?? "", dedupeKey: try row.decode("dedupe_key"),
            renterLinkPaymentCode: try row.decodeIfPresent("link_payment_code"),
            status: OutboxStatus(rawValue: try row.decode("status")) ?? .dead, attempts: try row.decode("attempts"),
            nextAttemptAt: try row.decode("next_attempt_at"), lastError: try row.decodeIfPresent("last_error"),
            createdAt: try row.decode("created_at"), sentAt: try row.decodeIfPresent("sent_at"))
    }
}

extension String {
    /// The text without leading or trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
