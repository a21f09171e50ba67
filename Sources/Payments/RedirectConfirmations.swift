// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging

/// Confirms payments with payOS for payOS's browser redirects (`/payment/return`, `/payment/cancel`).
///
/// Anyone may request those for any orderCode, without a credential, and each used to cost the owner a payOS GET (and
/// a share of its payOS cap). Here, per payment and in this process: concurrent redirects share one GET (single flight),
/// and for `interval` after a GET ends later redirects answer from the stored state — which the webhook, reconciliation
/// and the status page's polls keep current. So a flood costs the owner at most one GET per payment per interval
/// per instance, while a renter coming back from payOS still gets a fresh answer.
public actor RedirectConfirmations {
    let payments: PaymentService
    let interval: Duration
    private var inFlight: [PaymentID: Task<Payment, any Error>] = [:]
    private var lastAsked: [PaymentID: ContinuousClock.Instant] = [:]
    /// The size at which `lastAsked` is next pruned (doubled when little was stale, so pruning stays amortised O(1)).
    private var pruneAt = 1_024

    /// - Parameter interval: how long one payOS answer stands for a payment's later redirects (0: only concurrent
    ///   redirects share a GET).
    public init(payments: PaymentService, interval: Duration = .seconds(5)) {
        self.payments = payments
        self.interval = interval
    }

    /// The payment as stored after confirming it with payOS, or as stored already when it is settled, when another
    /// redirect's GET for it is in flight (its answer), or when one ended less than `interval` ago.
    public func confirm(_ payment: Payment, audit: AuditContext, logger: Logger) async throws -> Payment {
        guard payment.status == .pending else { return payment }
        if let running = inFlight[payment.id] { return try await running.value }
        if let last = lastAsked[payment.id], ContinuousClock.now - last < interval {
            // Read again: `payment` may have been read before the last confirmation committed.
            return try await payments.payment(owner: payment.ownerID, id: payment.id, logger: logger) ?? payment
        }
        // Unstructured on purpose: the GET is shared, so the first caller going away (a closed browser tab) must not
        // cancel it for the others.
        let payments = self.payments
        let task = Task { try await payments.confirmWithPayOS(payment, source: .return, audit: audit, logger: logger) }
        inFlight[payment.id] = task
        let result = await task.result
        inFlight[payment.id] = nil
        remember(payment.id)
        return try result.get()
    }

    private func remember(_ id: PaymentID) {
        let now = ContinuousClock.now
        lastAsked[id] = now
        guard lastAsked.count > pruneAt else { return }
        lastAsked = lastAsked.filter { now - $0.value < interval }
        pruneAt = max(1_024, lastAsked.count * 2)
    }
}
