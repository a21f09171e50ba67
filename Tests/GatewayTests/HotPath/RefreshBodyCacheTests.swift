// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseCore
import NIOCore
import Payments
import Synchronization
import Testing

@testable import Gateway

/// `refresh-status` bodies are encoded once per payment, status and language: a status change or another language is
/// another body at once, a repeated poll encodes nothing, and the settled bodies kept are bounded.
@Suite struct RefreshBodiesAreEncodedOncePerPaymentStatusAndLocale {
    struct Body: Decodable, Equatable {
        let status: String
        let message: String
        let payment_status: String
        let redirect: String?
    }

    /// The controller's encoder, counting its calls.
    final class CountingEncoder: Sendable {
        let calls = Mutex(0)
        func encode(_ id: PaymentID, _ status: PaymentStatus, _ locale: PageLocale) throws -> ByteBuffer {
            calls.withLock { $0 += 1 }
            return try PaymentController.encodedRefreshBody(id, status, locale)
        }
    }

    static func decode(_ buffer: ByteBuffer) throws -> Body {
        try JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView))
    }

    @Test func aStatusChangeAnswersTheNewBodyAtOnce() throws {
        let cache = RefreshBodyCache(encode: PaymentController.encodedRefreshBody)
        let id = PaymentID(42)
        #expect(try Self.decode(cache.body(id, status: .pending, locale: .vi)) == Body(status: "pending", message: "Đang chờ thanh toán", payment_status: "pending", redirect: nil))
        #expect(try Self.decode(cache.body(id, status: .success, locale: .vi)) == Body(status: "success", message: "Thanh toán thành công", payment_status: "success", redirect: "/payment/success/42"))
        #expect(try Self.decode(cache.body(id, status: .expired, locale: .vi)) == Body(status: "failed", message: "Liên kết thanh toán đã hết hạn", payment_status: "expired", redirect: "/payment/failed/42"))
    }

    @Test func eachLanguageHasItsOwnBody() throws {
        let cache = RefreshBodyCache(encode: PaymentController.encodedRefreshBody)
        let id = PaymentID(7)
        #expect(try Self.decode(cache.body(id, status: .success, locale: .vi)).message == "Thanh toán thành công")
        #expect(try Self.decode(cache.body(id, status: .success, locale: .en)).message == "Payment completed successfully")
        #expect(try Self.decode(cache.body(id, status: .pending, locale: .en)).message == "Waiting for payment")
        #expect(try Self.decode(cache.body(id, status: .pending, locale: .vi)).message == "Đang chờ thanh toán")
    }

    @Test func aRepeatedPollEncodesNothingAndPaymentsDoNotShareSettledBodies() throws {
        let encoder = CountingEncoder()
        let cache = RefreshBodyCache(encode: encoder.encode)
        let made = encoder.calls.withLock { $0 }  // the pending bodies, one per language
        #expect(made == PageLocale.allCases.count)
        for _ in 0..<5 {
            _ = try cache.body(PaymentID(1), status: .pending, locale: .vi)
            _ = try cache.body(PaymentID(2), status: .pending, locale: .en)
            _ = try cache.body(PaymentID(1), status: .success, locale: .vi)
        }
        #expect(encoder.calls.withLock { $0 } == made + 1)
        #expect(try Self.decode(cache.body(PaymentID(2), status: .success, locale: .vi)).redirect == "/payment/success/2")
        #expect(try Self.decode(cache.body(PaymentID(1), status: .success, locale: .vi)).redirect == "/payment/success/1")
    }

    @Test func settledBodiesAreBounded() throws {
        let cache = RefreshBodyCache(capacity: 16, encode: PaymentController.encodedRefreshBody)
        for raw in 1...200 {
            let id = PaymentID(Int64(raw))
            #expect(try Self.decode(cache.body(id, status: .failed, locale: .en)).redirect == "/payment/failed/\(raw)")
            #expect(cache.settledCount <= 16)
        }
        #expect(cache.settledCount > 0)
    }
}
