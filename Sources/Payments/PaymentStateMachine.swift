// Copyright (c) the Gatehouse authors

/// Something payOS told us about a payment (through a webhook, a reconciliation GET or a return redirect),
/// already confirmed with payOS where that matters.
///
/// The endings carry the money payOS shows received on the link (`totalPaid`): a link can end with money on it
/// (underpaid when it expired, or paid in the gap after a cancel), and that money is owed back.
public enum PaymentEvent: Sendable, Hashable {
    /// payOS shows `totalPaid` VND received for the link (the running total, not one transfer).
    case paid(totalPaid: Int64, source: SettlementSource)
    /// The link was cancelled (by the renter on payOS's page, or by us).
    case cancelled(source: SettlementSource, totalPaid: Int64 = 0)
    /// The link expired at payOS.
    case expired(source: SettlementSource, totalPaid: Int64 = 0)
    /// payOS reports the payment failed.
    case failed(source: SettlementSource, totalPaid: Int64 = 0)

    /// The money payOS shows received on the link.
    var totalPaid: Int64 {
        switch self {
        case .paid(let total, _), .cancelled(_, let total), .expired(_, let total), .failed(_, let total): total
        }
    }
}

/// The payment state machine: pure, no I/O, so every rule is unit-tested on its own.
///
/// Rules:
/// - only `pending` changes status; terminal statuses never change (a late CANCELLED after PAID changes nothing);
/// - `pending → success` happens at most once, only when the total paid reaches the amount, and only when no other
///   payment has paid the booking: a booking is paid once, and a second full payment ends `cancelled` with a refund;
/// - a total lower than the amount leaves the payment pending and flagged underpaid, never success;
/// - a link that ends (expired, cancelled, failed) with part of the money received ends `failed`, underpaid, with
///   a refund of what was received;
/// - money that arrives on a payment already cancelled, expired or failed (the renter paid in the gap) is recorded
///   and flagged for a refund; the status stays.
public enum PaymentStateMachine {
    /// The decision for one event.
    public enum Decision: Sendable, Hashable {
        /// The payment moves to a terminal status; `refund` when money on it is owed back.
        case transition(to: PaymentStatus, amountPaid: Int64, underpaid: Bool, settledBy: SettlementSource, refund: RefundReason? = nil)
        /// The payment stays pending, with a new paid total and the underpaid flag.
        case partial(amountPaid: Int64)
        /// Money arrived on a payment that already ended without paying its booking: recorded, owed back.
        case lateMoney(amountPaid: Int64, refund: RefundReason)
        /// Nothing changes; `reason` says why (for logs and the webhook inbox's outcome).
        case ignored(reason: IgnoredReason)
    }

    public enum IgnoredReason: String, Sendable, Hashable {
        case alreadyTerminal = "already_terminal"
        case noNewMoney = "no_new_money"
    }

    /// Decides what `event` does to a payment in `status` with `amount` due and `amountPaid` already seen.
    ///
    /// - Parameter bookingPaidElsewhere: whether another payment already paid this payment's booking.
    public static func decide(
        status: PaymentStatus, amount: Int64, amountPaid: Int64, event: PaymentEvent, bookingPaidElsewhere: Bool = false
    ) -> Decision {
        let total = max(event.totalPaid, amountPaid)
        switch status {
        case .success:
            return .ignored(reason: .alreadyTerminal)
        case .cancelled, .expired, .failed:
            guard event.totalPaid > amountPaid else { return .ignored(reason: .alreadyTerminal) }
            return .lateMoney(amountPaid: event.totalPaid, refund: lateMoneyReason(status))
        case .pending:
            break
        }
        switch event {
        case .paid(let paid, let source):
            if paid >= amount {
                if bookingPaidElsewhere {
                    return .transition(to: .cancelled, amountPaid: paid, underpaid: false, settledBy: source, refund: .bookingAlreadyPaid)
                }
                return .transition(to: .success, amountPaid: paid, underpaid: false, settledBy: source)
            }
            guard paid > amountPaid else { return .ignored(reason: .noNewMoney) }
            return .partial(amountPaid: paid)
        case .cancelled(let source, _), .expired(let source, _), .failed(let source, _):
            let ending: PaymentStatus =
                switch event {
                case .cancelled: .cancelled
                case .expired: .expired
                default: .failed
                }
            if total == 0 { return .transition(to: ending, amountPaid: 0, underpaid: false, settledBy: source) }
            if total < amount { return .transition(to: .failed, amountPaid: total, underpaid: true, settledBy: source, refund: .underpaid) }
            // payOS ended a link that shows the whole amount received: the money is owed back, never a success.
            return .transition(to: ending, amountPaid: total, underpaid: false, settledBy: source, refund: lateMoneyReason(ending))
        }
    }

    /// Why money on a payment that ended in `status` is owed back.
    static func lateMoneyReason(_ status: PaymentStatus) -> RefundReason {
        switch status {
        case .expired: .paidAfterExpiry
        case .failed: .paidAfterFailure
        default: .paidAfterCancel
        }
    }
}
