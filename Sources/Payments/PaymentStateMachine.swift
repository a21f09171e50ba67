// Copyright (c) the Gatehouse authors

/// Something payOS told us about a payment (through a webhook, a reconciliation GET or a return redirect),
/// already confirmed with payOS where that matters.
public enum PaymentEvent: Sendable, Hashable {
    /// payOS shows `totalPaid` VND received for the link (the running total, not one transfer).
    case paid(totalPaid: Int64, source: SettlementSource)
    /// The link was cancelled (by the renter on payOS's page, or by us).
    case cancelled(source: SettlementSource)
    /// The link expired at payOS.
    case expired(source: SettlementSource)
    /// payOS reports the payment failed.
    case failed(source: SettlementSource)
}

/// The payment state machine: pure, no I/O, so every rule is unit-tested on its own.
///
/// Rules:
/// - only `pending` moves; terminal statuses never change (a late CANCELLED after PAID changes nothing);
/// - `pending → success` happens at most once, only when the total paid reaches the amount;
/// - a total lower than the amount leaves the payment pending and flagged underpaid, never success.
public enum PaymentStateMachine {
    /// The decision for one event.
    public enum Decision: Sendable, Hashable {
        /// The payment moves to a terminal status.
        case transition(to: PaymentStatus, amountPaid: Int64, underpaid: Bool, settledBy: SettlementSource)
        /// The payment stays pending, with a new paid total and the underpaid flag.
        case partial(amountPaid: Int64)
        /// Nothing changes; `reason` says why (for logs and the webhook inbox's outcome).
        case ignored(reason: IgnoredReason)
    }

    public enum IgnoredReason: String, Sendable, Hashable {
        case alreadyTerminal = "already_terminal"
        case noNewMoney = "no_new_money"
    }

    /// Decides what `event` does to a payment in `status` with `amount` due and `amountPaid` already seen.
    public static func decide(status: PaymentStatus, amount: Int64, amountPaid: Int64, event: PaymentEvent) -> Decision {
        guard status == .pending else { return .ignored(reason: .alreadyTerminal) }
        switch event {
        case .paid(let total, let source):
            if total >= amount {
                return .transition(to: .success, amountPaid: total, underpaid: false, settledBy: source)
            }
            guard total > amountPaid else { return .ignored(reason: .noNewMoney) }
            return .partial(amountPaid: total)
        case .cancelled(let source):
            return .transition(to: .cancelled, amountPaid: amountPaid, underpaid: amountPaid > 0, settledBy: source)
        case .expired(let source):
            return .transition(to: .expired, amountPaid: amountPaid, underpaid: amountPaid > 0, settledBy: source)
        case .failed(let source):
            return .transition(to: .failed, amountPaid: amountPaid, underpaid: amountPaid > 0, settledBy: source)
        }
    }
}
