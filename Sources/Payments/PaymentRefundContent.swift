// Copyright (c) the Gatehouse authors
import GatehouseCore
import Notifications
import Tenancy

/// The texts telling an owner that money received on a payment is owed back (pure: unit-testable without a
/// database). Both languages, Vietnamese first, like ``PaymentSuccessContent``.
struct PaymentRefundContent: Sendable {
    let payment: Payment
    let booking: Booking
    let owner: Owner
    let reason: RefundReason
    let renterName: String
    let renterAddress: String?

    /// Why the money is owed back, in words.
    var why: (vi: String, en: String) {
        switch reason {
        case .paidAfterCancel:
            ("khách chuyển tiền sau khi liên kết thanh toán đã bị huỷ hoặc được thay bằng liên kết mới",
                "the renter paid after the payment link was cancelled or replaced by a new link")
        case .paidAfterExpiry:
            ("khách chuyển tiền sau khi liên kết thanh toán đã hết hạn", "the renter paid after the payment link expired")
        case .paidAfterFailure:
            ("payOS báo giao dịch thất bại nhưng đã nhận tiền", "payOS reported the payment failed but money was received")
        case .bookingAlreadyPaid:
            ("đặt phòng này đã được thanh toán bằng một khoản khác", "this booking was already paid by another payment")
        case .underpaid:
            ("khách chuyển thiếu và liên kết đã kết thúc", "the renter paid less than the amount and the link ended")
        }
    }

    /// "Refund due", to the owner. One e-mail per amount received: more money later sends an updated one.
    var ownerEmail: OutboxEmail {
        let renterLine = [renterName, renterAddress, payment.customerPhone].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        let vi = """
            Xin chào \(owner.name),

            Cần hoàn tiền cho khách: \(why.vi). Đặt phòng không được thanh toán hai lần; số tiền dưới đây cần được trả lại.

              Mã thanh toán:   \(payment.paymentCode) (orderCode \(payment.orderCode))
              Cần hoàn:        \(VND.format(payment.amountPaid, locale: .vi)) (số tiền của liên kết: \(VND.format(payment.amount, locale: .vi)))
              Phòng:           \(booking.roomTitle)
              Khách:           \(renterLine)
              Trạng thái:      \(payment.status.rawValue)
            """
        let en = """
            Hello \(owner.name),

            A refund is due: \(why.en). The booking is not paid twice; the amount below must be paid back.

              Payment code:  \(payment.paymentCode) (orderCode \(payment.orderCode))
              To refund:     \(VND.format(payment.amountPaid, locale: .en)) (link amount: \(VND.format(payment.amount, locale: .en)))
              Room:          \(booking.roomTitle)
              Guest:         \(renterLine)
              Status:        \(payment.status.rawValue)
            """
        return OutboxEmail(
            ownerID: payment.ownerID, kind: "payment_refund_due_owner", recipient: owner.email,
            subject: "Cần hoàn tiền \(VND.format(payment.amountPaid, locale: .vi)) / Refund due (\(payment.paymentCode))",
            body: vi + PaymentSuccessContent.separator + en + PaymentSuccessContent.footer,
            dedupeKey: "payment:\(payment.id.rawValue):owner:refund:\(payment.amountPaid)")
    }

    /// For the owner's dashboard (`GET /notifications/check`).
    var ownerNotice: NewWebNotification {
        let who = renterName.isEmpty ? "khách" : renterName
        let whoEN = renterName.isEmpty ? "the guest" : renterName
        return NewWebNotification(
            ownerID: payment.ownerID, recipient: .owner(payment.ownerID), paymentID: payment.id, kind: "payment_refund_due",
            title: "Cần hoàn tiền · Refund due",
            message: "Hoàn \(VND.format(payment.amountPaid, locale: .vi)) cho \(who) (\(payment.paymentCode)): \(why.vi). · "
                + "Refund \(VND.format(payment.amountPaid, locale: .en)) to \(whoEN) (\(payment.paymentCode)): \(why.en).")
    }
}
