// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// A renter: the person paying for a booking. Renters have no account; they reach a payment through its link.
public struct Renter: Sendable, Hashable {
    public var id: RenterID
    public var ownerID: OwnerID
    public var name: String
    public var email: String
    public var phone: String?
    public var createdAt: Int64
}

/// A booking of a room by a renter, for an amount in VND.
public struct Booking: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case pending
        case confirmed
        case cancelled
    }

    public enum PaymentStatus: String, Sendable, Hashable, CaseIterable {
        case unpaid
        case paid
    }

    public var id: BookingID
    public var ownerID: OwnerID
    public var renterID: RenterID
    public var roomTitle: String
    /// Unix milliseconds.
    public var startTime: Int64
    /// Unix milliseconds.
    public var endTime: Int64
    /// VND.
    public var amount: Int64
    public var status: Status
    public var paymentStatus: PaymentStatus
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// A payment's status, as the seed design names them.
public enum PaymentStatus: String, Sendable, Hashable, CaseIterable {
    case pending
    case success
    case failed
    case cancelled
    case expired

    /// Terminal statuses never change again.
    public var isTerminal: Bool { self != .pending }
}

/// Where a payment's final status came from.
public enum SettlementSource: String, Sendable, Hashable, CaseIterable {
    /// A signed payOS webhook (confirmed with payOS).
    case webhook
    /// The reconciliation service asking payOS.
    case reconciliation
    /// payOS's return/cancel redirect, confirmed with payOS.
    case `return`
    /// Cancelled at payOS by Gatehouse because a new link replaced it (one live link per booking).
    case superseded
}

/// Why money payOS received on a payment is owed back to the renter (`payment.refund_reason`); the amount owed is
/// the payment's `amountPaid`. A payment with a reason never paid its booking.
public enum RefundReason: String, Sendable, Hashable, CaseIterable {
    /// Money arrived on a link after it was cancelled (by the renter, or superseded by a new link for the booking).
    case paidAfterCancel = "paid_after_cancel"
    /// Money arrived on a link after it expired.
    case paidAfterExpiry = "paid_after_expiry"
    /// Money arrived on a link payOS reported failed.
    case paidAfterFailure = "paid_after_failure"
    /// The link was paid in full while its booking was already paid by another payment.
    case bookingAlreadyPaid = "booking_already_paid"
    /// The link ended (expired, cancelled or failed) with less than the amount received.
    case underpaid
}

/// A payment of one booking through the owner's payOS account.
public struct Payment: Sendable, Hashable {
    public var id: PaymentID
    public var ownerID: OwnerID
    public var bookingID: BookingID
    public var renterID: RenterID
    /// Human-facing code, e.g. `PAY-7K2M9Q4XWD`.
    public var paymentCode: String
    /// payOS's orderCode: unique across Gatehouse, 1…2^53−1.
    public var orderCode: Int64
    /// VND.
    public var amount: Int64
    public var amountPaid: Int64
    public var currency: String
    public var status: PaymentStatus
    public var underpaid: Bool
    public var settledBy: SettlementSource?
    public var paymentLinkID: String?
    public var checkoutURL: String?
    /// payOS's VietQR payload string (not an image).
    public var qrCode: String?
    public var bankBIN: String?
    public var accountNumber: String?
    public var accountName: String?
    public var description: String?
    public var transactionReference: String?
    public var paymentMethod: String?
    public var customerName: String?
    public var customerEmail: String?
    public var customerPhone: String?
    /// Unix milliseconds.
    public var expiresAt: Int64
    public var createdAt: Int64
    public var updatedAt: Int64
    public var paidAt: Int64?
    /// Set when money received on this payment is owed back (``RefundReason``); the amount is ``amountPaid``.
    public var refundReason: RefundReason? = nil
    /// Unix ms: when the refund was flagged, and when an admin recorded it as made.
    public var refundFlaggedAt: Int64? = nil
    public var refundResolvedAt: Int64? = nil

    /// Whether a refund is owed and not yet recorded as made.
    public var refundDue: Bool { refundReason != nil && refundResolvedAt == nil }
}
