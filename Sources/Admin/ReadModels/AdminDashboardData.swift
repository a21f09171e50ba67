// Copyright (c) the Gatehouse authors
public import Payments
public import Logging
import Storage
import Vault
public import GatehouseCore
import Tenancy

// MARK: Payment series

/// How wide one point of a chart is.
public enum AdminSeriesBucket: String, Sendable, Hashable, CaseIterable {
    case hour
    case day

    public var millis: Int64 { self == .hour ? 3_600_000 : 86_400_000 }
}

/// One bucket of an owner's payments.
public struct AdminPaymentPoint: Sendable, Hashable {
    /// Unix ms, the bucket's start (UTC).
    public let start: Int64
    /// Payments created in the bucket.
    public let created: Int
    /// Of those, paid (`success`).
    public let succeeded: Int
    /// Mean created → paid time of the paid ones, in ms; `nil` when none was paid.
    public let averageProcessingMillis: Int64?

    /// Paid / created, 0…1; `nil` without payments.
    public var successRate: Double? { created == 0 ? nil : Double(succeeded) / Double(created) }
}

/// Where the dashboard's per-owner charts get their series (a protocol so the dashboard does not depend on how
/// metrics are computed).
public protocol AdminPaymentSeries: Sendable {
    /// Points from `from` (inclusive) to `to` (exclusive), one per bucket, empty buckets included.
    func series(owner: OwnerID, from: Int64, to: Int64, bucket: AdminSeriesBucket, logger: Logger) async throws -> [AdminPaymentPoint]
}

/// The dashboard's series from ``PaymentMetrics`` (the same figures as `GET /admin/metrics`: payments counted in the
/// bucket of their creation, day buckets in Vietnam time).
public struct PaymentMetricsSeries: AdminPaymentSeries {
    let metrics: PaymentMetrics

    public init(metrics: PaymentMetrics) {
        self.metrics = metrics
    }

    public func series(owner: OwnerID, from: Int64, to: Int64, bucket: AdminSeriesBucket, logger: Logger) async throws -> [AdminPaymentPoint] {
        let request = try PaymentMetrics.Request(owner: owner, from: from, to: to, bucket: bucket == .hour ? .hour : .day)
        return try await metrics.report(request, logger: logger).buckets.map { point in
            AdminPaymentPoint(
                start: point.start, created: Int(point.summary.paymentsCreated), succeeded: Int(point.summary.paymentsByStatus["success"] ?? 0),
                averageProcessingMillis: point.summary.averageProcessingMillis)
        }
    }
}
