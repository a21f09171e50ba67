// Copyright (c) the Gatehouse authors
import GatehouseCore
import Payments
public import NIOCore
import Synchronization

/// The encoded `refresh-status` bodies, so a poll is answered without running a JSON encoder.
///
/// A body is a pure function of the payment id (its settled page's path), the status and the locale, so that triple is
/// the key: a status change is a different key and gets its new body at once; nothing ever needs invalidating. Pending
/// bodies do not name the payment and are shared by all (one per locale); settled ones are kept per payment, bounded:
/// beyond `capacity` an arbitrary eighth is dropped and re-encoded on its next poll (a settled payment's page stops
/// polling, so few are asked for more than a few times).
final class RefreshBodyCache: Sendable {
    struct Key: Hashable {
        let payment: PaymentID
        let status: PaymentStatus
        let locale: PageLocale
    }

    private let capacity: Int
    private let encode: @Sendable (PaymentID, PaymentStatus, PageLocale) throws -> ByteBuffer
    private let pending: [PageLocale: ByteBuffer]
    private let settled = Mutex<[Key: ByteBuffer]>([:])

    /// - Parameter encode: makes the body of a payment in a status and locale (called once per key while cached).
    init(capacity: Int = 10_000, encode: @escaping @Sendable (PaymentID, PaymentStatus, PageLocale) throws -> ByteBuffer) {
        self.capacity = max(8, capacity)
        self.encode = encode
        // The pending body does not depend on the payment: any id makes it.
        self.pending = Dictionary(
            uniqueKeysWithValues: PageLocale.allCases.compactMap { locale in (try? encode(PaymentID(1), .pending, locale)).map { (locale, $0) } })
    }

    /// The body for `payment` in `status` and `locale`: from memory when made before, else encoded and kept.
    func body(_ payment: PaymentID, status: PaymentStatus, locale: PageLocale) throws -> ByteBuffer {
        if status == .pending, let body = pending[locale] { return body }
        let key = Key(payment: payment, status: status, locale: locale)
        if let body = settled.withLock({ $0[key] }) { return body }
        let body = try encode(payment, status, locale)
        settled.withLock { bodies in
            if bodies[key] == nil, bodies.count >= capacity {
                for old in Array(bodies.keys.prefix(max(1, capacity / 8))) { bodies[old] = nil }
            }
            bodies[key] = body
        }
        return body
    }

    /// Settled bodies held (tests).
    var settledCount: Int { settled.withLock { $0.count } }
}
