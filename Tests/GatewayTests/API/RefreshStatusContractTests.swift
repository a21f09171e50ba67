// Copyright (c) the Gatehouse authors
import GatehouseCore
import Payments
import Testing

@testable import Gateway

/// The seed's front end polls `refresh-status` until `status` is `success` or `failed`: every final status must answer
/// one of those (cancelled and expired answer `failed`, precisely in `payment_status`), with the page to go to.
@Suite struct RefreshStatusContractTests {
    @Test(arguments: PaymentStatus.allCases)
    func everyStatusAnswersOneOfTheSeedsThreeValues(status: PaymentStatus) throws {
        let body = PaymentController.refreshBody(status, settledPath: "/payment/x/1", locale: .vi)
        #expect(["pending", "success", "failed"].contains(body.status))
        #expect(body.payment_status == status.rawValue)
        switch status {
        case .pending:
            #expect(body.status == "pending" && body.redirect == nil)
        case .success:
            #expect(body.status == "success" && body.redirect == "/payment/x/1")
        case .failed, .cancelled, .expired:
            #expect(body.status == "failed" && body.redirect == "/payment/x/1")
        }
    }
}
