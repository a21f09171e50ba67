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
            #expect(PaymentStateMachine.decide(status: status, amount: 500_000, amountPaid: 0, event: event) == .ignored(reason: .alreadyTerminal))
        }
    }

    @Test func cancellingAfterPartialPaymentKeepsTheUnderpaidFlag() {
        let decision = PaymentStateMachine.decide(status: .pending, amount: 500_000, amountPaid: 100_000, event: .cancelled(source: .return))
        #expect(decision == .transition(to: .cancelled, amountPaid: 100_000, underpaid: true, settledBy: .return))
    }
}
