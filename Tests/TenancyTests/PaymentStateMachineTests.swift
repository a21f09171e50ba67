// Copyright (c) the Gatehouse authors
import Testing

@testable import Tenancy
@testable import Payments

@Suite struct PaymentStateMachineTests {
    // MARK: Tests

    @Test func fullPaymentMovesPendingToSuccess() {
        let decision = PaymentStateMachine.decide(status: .pending, amount: 500_000, amountPaid: 0, event: .paid(totalPaid: 500_000, source: .webhook))
        #expect(decision == .transition(to: .success, amountPaid: 500_000, underpaid: false, settledBy: .webhook))
    }

    @Test func overpaymentStillSucceedsAndRecordsTheTotal() {
        let decision = PaymentStateMachine.decide(status: .pending, amount: 500_000, amountPaid: 0, event: .paid(totalPaid: 600_000, source: .reconciliation))
        #expect(decision == .transition(to: .success, amountPaid: 600_000, underpaid: false, settledBy: .reconciliation))
    }

    @Test func partialPaymentStaysPendingAndIsFlaggedUnderpaid() {
        let decision = PaymentStateMachine.decide(status: .pending, amount: 500_000, amountPaid: 0, event: .paid(totalPaid: 200_000, source: .webhook))
        #expect(decision == .partial(amountPaid: 200_000))
    }

    @Test func aRepeatedPartialTotalChangesNothing() {
        let decision = PaymentStateMachine.decide(status: .pending, amount: 500_000, amountPaid: 200_000, event: .paid(totalPaid: 200_000, source: .webhook))
        #expect(decision == .ignored(reason: .noNewMoney))
    }

    @Test(arguments: [PaymentStatus.success, .failed, .cancelled, .expired])
    func terminalStatusesNeverMove(status: PaymentStatus) {
        let events: [PaymentEvent] = [
            .paid(totalPaid: 500_000, source: .webhook), .cancelled(source: .webhook), .expired(source: .reconciliation),
            .failed(source: .reconciliation),
        ]
        for event in events {
            let decision = PaymentStateMachine.decide(status: status, amount: 500_000, amountPaid: 0, event: event)
            switch decision {
            case .ignored(.alreadyTerminal): break
            // Money on an ended payment is recorded, but its status stays.
            case .lateMoney: #expect(status != .success && event.totalPaid > 0)
            default: Issue.record("\(status) moved on \(event): \(decision)")
            }
        }
    }

    @Test func aSuccessfulPaymentIgnoresEvenMoreMoney() {
        let decision = PaymentStateMachine.decide(status: .success, amount: 500_000, amountPaid: 500_000, event: .paid(totalPaid: 900_000, source: .webhook))
        #expect(decision == .ignored(reason: .alreadyTerminal))
    }

    @Test func cancellingAfterPartialPaymentEndsFailedUnderpaidWithARefund() {
        let decision = PaymentStateMachine.decide(status: .pending, amount: 500_000, amountPaid: 100_000, event: .cancelled(source: .return))
        #expect(decision == .transition(to: .failed, amountPaid: 100_000, underpaid: true, settledBy: .return, refund: .underpaid))
    }

    @Test func anUnderpaidLinkThatExpiresEndsFailedUnderpaidWithTheAmountReceived() {
        // payOS's total on the ending counts even when our copy missed the partial webhook.
        let decision = PaymentStateMachine.decide(
            status: .pending, amount: 500_000, amountPaid: 0, event: .expired(source: .reconciliation, totalPaid: 200_000))
        #expect(decision == .transition(to: .failed, amountPaid: 200_000, underpaid: true, settledBy: .reconciliation, refund: .underpaid))
    }

    @Test func anEndingWithoutMoneyOwesNothing() {
        for (event, status) in [(PaymentEvent.cancelled(source: .return), PaymentStatus.cancelled), (.expired(source: .webhook), .expired), (.failed(source: .webhook), .failed)] {
            #expect(PaymentStateMachine.decide(status: .pending, amount: 500_000, amountPaid: 0, event: event)
                == .transition(to: status, amountPaid: 0, underpaid: false, settledBy: event == .cancelled(source: .return) ? .return : .webhook))
        }
    }

    @Test(arguments: [(PaymentStatus.cancelled, RefundReason.paidAfterCancel), (.expired, .paidAfterExpiry), (.failed, .paidAfterFailure)])
    func moneyOnAnEndedLinkIsRecordedAndOwedBack(status: PaymentStatus, reason: RefundReason) {
        let decision = PaymentStateMachine.decide(status: status, amount: 500_000, amountPaid: 0, event: .paid(totalPaid: 500_000, source: .webhook))
        #expect(decision == .lateMoney(amountPaid: 500_000, refund: reason))
        // payOS's GET of a cancelled link that received money says CANCELLED with the total: the same decision.
        let viaEnding = PaymentStateMachine.decide(status: status, amount: 500_000, amountPaid: 0, event: .cancelled(source: .webhook, totalPaid: 500_000))
        #expect(viaEnding == .lateMoney(amountPaid: 500_000, refund: reason))
        // The same total again adds nothing.
        #expect(PaymentStateMachine.decide(status: status, amount: 500_000, amountPaid: 500_000, event: .paid(totalPaid: 500_000, source: .webhook))
            == .ignored(reason: .alreadyTerminal))
    }

    @Test func aFullPaymentOfABookingAlreadyPaidElsewhereIsCancelledWithARefundNeverASecondSuccess() {
        let decision = PaymentStateMachine.decide(
            status: .pending, amount: 500_000, amountPaid: 0, event: .paid(totalPaid: 500_000, source: .webhook), bookingPaidElsewhere: true)
        #expect(decision == .transition(to: .cancelled, amountPaid: 500_000, underpaid: false, settledBy: .webhook, refund: .bookingAlreadyPaid))
    }

    @Test func aLinkEndedWithTheWholeAmountOnItIsOwedBackNotASuccess() {
        let decision = PaymentStateMachine.decide(
            status: .pending, amount: 500_000, amountPaid: 0, event: .cancelled(source: .superseded, totalPaid: 500_000))
        #expect(decision == .transition(to: .cancelled, amountPaid: 500_000, underpaid: false, settledBy: .superseded, refund: .paidAfterCancel))
    }
}
