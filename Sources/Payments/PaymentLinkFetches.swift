// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import PayOS
public import Tenancy

/// At most one confirming GET at payOS per payment at a time on this instance, shared by every path that asks:
/// webhooks (``WebhookService``), the return and cancel pages and reconciliation (``PaymentService/confirmWithPayOS(_:source:audit:logger:)``).
///
/// **Why.** Duplicate webhooks, a renter's return and a reconciliation pass often ask about one payment at the same
/// moment; each GET costs the owner a share of its payOS cap and a key use. Concurrent asks now join the GET in flight
/// and all get its answer (or its error).
///
/// **Not a cache.** The entry is removed the moment the GET ends: an ask after that makes a new GET, so an answer is
/// never older than the ask. The GET runs in an unstructured task, so the caller that started it going away (a
/// cancelled request) does not cancel it for the others. The first asker's purpose, audit context and logger are
/// used for the GET; the key use is recorded once, as one GET is made.
public actor PaymentLinkFetches {
    /// Fetches one payment link: the real one admits the call under the owner's payOS cap and GETs it with the
    /// owner's keys (``payOSGET(keyAccess:payOS:)``).
    public typealias Fetch = @Sendable (
        _ owner: OwnerID, _ orderCode: Int64, _ purpose: String, _ audit: AuditContext, _ logger: Logger
    ) async throws -> PaymentLink

    private struct Key: Hashable {
        var owner: OwnerID
        var orderCode: Int64
    }

    private struct Flight {
        var task: Task<PaymentLink, any Error>
        var askers: Int
    }

    private let fetch: Fetch
    private var flights: [Key: Flight] = [:]

    /// GETs through the owner's key access (cap, keys, key-use accounting) with `payOS`.
    public init(keyAccess: TenantKeyAccess, payOS: PayOSClient) {
        self.init(fetch: Self.payOSGET(keyAccess: keyAccess, payOS: payOS))
    }

    /// - Parameter fetch: makes one GET (tests wrap ``payOSGET(keyAccess:payOS:)`` to hold it).
    public init(fetch: @escaping Fetch) {
        self.fetch = fetch
    }

    /// The real GET: admitted under the owner's payOS cap, with the owner's keys.
    public static func payOSGET(keyAccess: TenantKeyAccess, payOS: PayOSClient) -> Fetch {
        { owner, orderCode, purpose, audit, logger in
            try await keyAccess.withPayOSCredentials(owner: owner, purpose: purpose, audit: audit, logger: logger) {
                try await payOS.getPaymentLink(orderCode: orderCode, credentials: $0, logger: logger)
            }
        }
    }

    /// The link as payOS shows it now: the GET in flight for this payment if there is one, else a new GET.
    /// - Throws: whatever the shared GET threw (every asker of that GET gets the same error).
    public func link(owner: OwnerID, orderCode: Int64, purpose: String, audit: AuditContext, logger: Logger) async throws -> PaymentLink {
        let key = Key(owner: owner, orderCode: orderCode)
        let task: Task<PaymentLink, any Error>
        if let flight = flights[key] {
            task = flight.task
            flights[key]?.askers += 1
        } else {
            let fetch = self.fetch
            task = Task {
                let result: Result<PaymentLink, any Error>
                do { result = .success(try await fetch(owner, orderCode, purpose, audit, logger)) } catch { result = .failure(error) }
                land(key)  // on the actor (the task inherits it), before any asker sees the answer
                return try result.get()
            }
            flights[key] = Flight(task: task, askers: 1)
        }
        return try await task.value
    }

    /// Removes the flight when its GET has ended (the next ask makes a new one).
    private func land(_ key: Key) {
        flights[key] = nil
    }

    /// How many asks have joined the GET in flight for this payment (0: none in flight). Tests wait on it.
    public func askers(owner: OwnerID, orderCode: Int64) -> Int {
        flights[Key(owner: owner, orderCode: orderCode)]?.askers ?? 0
    }
}
