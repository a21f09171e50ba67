// Copyright (c) the Gatehouse authors
import Foundation
import NIOHTTP1
import PayOS
import Testing

@testable import PayOSSandbox

/// The sandbox at payOS's edges, as raw HTTP shows them: proxy error pages, answers cut off or spoiled, a 429 that
/// names its reset time, statuses no payment reaches by itself, and the invoice download.
@Suite struct EdgeFaultTests {
    // MARK: Faults

    @Test(arguments: [502, 504])
    func htmlErrorRateAnswersAnNginxPageAndChangesNothing(status: Int) async throws {
        try await TestSandbox.with { sandbox in
            try await FaultInjectionTests.setFaults(sandbox, ["htmlErrorRate": 1, "htmlErrorStatus": .int(Int64(status))])
            let response = try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 1))
            #expect(response.status == status)
            #expect(response.headers["Content-Type"] == ["text/html"])
            #expect(response.text.contains("<center><h1>\(status) ") && response.text.contains("<hr><center>nginx</center>"), "\(response.text)")
            #expect((try? response.json()) == nil)
            try await FaultInjectionTests.setFaults(sandbox, [:])
            _ = try await sandbox.createLink(orderCode: 1)
        }
    }

    @Test func missingSignatureAndNullDataSpoilTheAnswerButTheCallTakesEffect() async throws {
        try await TestSandbox.with { sandbox in
            try await FaultInjectionTests.setFaults(sandbox, ["missingSignatureRate": 1])
            let created = try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 1)).json()
            #expect(created["code"] == "00" && created["data"]?["orderCode"] == 1 && created.objectValue?.contains("signature") == false)

            try await FaultInjectionTests.setFaults(sandbox, ["nullDataRate": 1])
            let cancelled = try await sandbox.payOS(.POST, "/v2/payment-requests/1/cancel", json: [:])
            #expect(cancelled.text == #"{"code":"00","desc":"success","data":null}"#)

            try await FaultInjectionTests.setFaults(sandbox, [:])
            let info = try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/1"))
            #expect(info["status"] == "CANCELLED")
        }
    }

    @Test func connectionResetSendsPartOfTheAnswerThenCloses() async throws {
        try await TestSandbox.with { sandbox in
            try await FaultInjectionTests.setFaults(sandbox, ["connectionResetRate": 1])
            await #expect(throws: (any Error).self) {
                _ = try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 1))
            }
            try await FaultInjectionTests.setFaults(sandbox, [:])
            // The create happened; only its answer was lost.
            let retry = try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 1))
            try PaymentRequestsTests.expectBusinessError(retry, code: "231")
            #expect(await sandbox.sandbox.apiCalls(clientId: "client-a").map(\.fault) == ["connectionReset", nil])
        }
    }

    @Test func rateLimitCanNameItsResetTimeInsteadOfRetryAfter() async throws {
        try await TestSandbox.with { sandbox in
            try await FaultInjectionTests.setFaults(sandbox, ["rateLimitRate": 1, "retryAfterSeconds": 7, "rateLimitHeader": "x-ratelimit-reset"])
            let before = Int64(Date().timeIntervalSince1970)
            let response = try await sandbox.payOS(.GET, "/v2/payment-requests/1")
            let after = Int64(Date().timeIntervalSince1970)
            #expect(response.status == 429 && response.headers["Retry-After"].isEmpty)
            let reset = try #require(response.headers["x-ratelimit-reset"].first.flatMap { Int64($0) })
            #expect((before + 7...after + 7).contains(reset))
        }
    }

    // MARK: Forced statuses

    @Test func processingThenFailedAreForcedAndReadBackByPayOSGet() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 1)
            let processing = try await sandbox.control(.POST, "/payment-requests/1/status?clientId=client-a", json: ["status": "PROCESSING"])
            #expect(processing.status == 200, "\(processing.text)")
            #expect(try processing.json()["paymentLink"]?["status"] == "PROCESSING")
            #expect(try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/1"))["status"] == "PROCESSING")
            // Money on its way: payOS will not cancel it (code 20).
            try PaymentRequestsTests.expectBusinessError(try await sandbox.payOS(.POST, "/v2/payment-requests/1/cancel"), code: "20")

            _ = try await sandbox.control(.POST, "/payment-requests/1/status?clientId=client-a", json: ["status": "FAILED"])
            let info = try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/1"))
            // The exact 10-key shape payOS answers (the Python SDK forbids extra keys), nothing paid.
            #expect(info["status"] == "FAILED" && info["amountPaid"] == 0 && info["amountRemaining"] == 50_000 && info["canceledAt"] == .null)
            #expect(info.keySet.count == 10)
            // FAILED is final: the bank cannot pay it any more.
            #expect(try await sandbox.control(.POST, "/payment-requests/1/pay?clientId=client-a").status == 409)
        }
    }

    @Test func aFinalLinkRefusesAForcedStatusWithAClear409() async throws {
        try await TestSandbox.with { sandbox in
            for orderCode: Int64 in 1...3 { _ = try await sandbox.createLink(orderCode: orderCode) }
            try await sandbox.sandbox.pay("1", clientId: "client-a")
            _ = try await sandbox.payOS(.POST, "/v2/payment-requests/2/cancel")
            try await sandbox.sandbox.forceStatus("3", to: .failed, clientId: "client-a")
            for (orderCode, status) in [(1, "PAID"), (2, "CANCELLED"), (3, "FAILED")] {
                let response = try await sandbox.control(.POST, "/payment-requests/\(orderCode)/status?clientId=client-a", json: ["status": "PROCESSING"])
                #expect(response.status == 409)
                let error = try #require(try response.json()["error"])
                #expect(error["code"] == "payment_link_final")
                #expect(error["message"] == .string("the payment link is \(status) and its status can no longer change"))
            }
        }
    }

    @Test func forcedStatusBodiesAreCheckedStrictly() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 1)
            for body: JSONValue in [["status": "PAID"], ["status": "processing"], ["status": "FAILED", "reason": "x"], [:]] {
                let response = try await sandbox.control(.POST, "/payment-requests/1/status?clientId=client-a", json: body)
                #expect(response.status == 400, "\(body)")
                #expect(try response.json()["error"]?["code"] == "invalid_input")
            }
            #expect(try await sandbox.control(.POST, "/payment-requests/99/status?clientId=client-a", json: ["status": "FAILED"]).status == 404)
        }
    }

    // MARK: Invoices

    @Test func invoiceDownloadAnswersPayOSsEnvelopeForAnInvoiceItDidNotIssue() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 1)
            let unknownInvoice = try await sandbox.payOS(.GET, "/v2/payment-requests/1/invoices/inv-1/download")
            #expect(unknownInvoice.status == 200 && unknownInvoice.headers["Content-Type"].first?.hasPrefix("application/json") == true)
            #expect(try unknownInvoice.json() == ["code": "101", "desc": "Hóa đơn không tồn tại", "data": nil])
            let unknownLink = try await sandbox.payOS(.GET, "/v2/payment-requests/2/invoices/inv-1/download")
            try PaymentRequestsTests.expectBusinessError(unknownLink, code: "101")
            #expect(try unknownLink.json()["desc"] == "Đơn thanh toán không tồn tại")
        }
    }
}
