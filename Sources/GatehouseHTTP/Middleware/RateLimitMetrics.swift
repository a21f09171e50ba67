// Copyright (c) the Gatehouse authors
public import CoreMetrics
import Payments
import GatehouseCore

/// This instance's count of requests refused by ``RateLimitMiddleware``, for Prometheus:
/// `gatehouse_rate_limit_refusals_total{limit="owner"|"renter"|"ip", owner=…}`.
///
/// `owner` is bounded like the webhook counter's (the first owner ids seen, then `other`; `unknown` for per-IP
/// refusals, which no owner is charged for), so an owner flood cannot blow up the series count. Which owner to call
/// is the point of the label: a steady rate for one owner means its limit is too low or its client misbehaves.
public struct RateLimitMetrics: Sendable {
    public static let refusalsName = "gatehouse_rate_limit_refusals_total"

    let factory: any MetricsFactory
    let labels: BoundedOwnerLabels

    public init(factory: any MetricsFactory, maximumLabelledOwners: Int = 50) {
        self.factory = factory
        self.labels = BoundedOwnerLabels(limit: maximumLabelledOwners)
    }

    /// Which limit refused a request.
    enum Limit: String {
        case owner
        case renter
        case ip
    }

    /// Counts one refusal: of the owner's request limit, a payment's renter limit (labelled with the payment's owner,
    /// bounded like every owner label), or the per-IP limit.
    func refusal(_ limit: Limit, owner: OwnerID?) {
        Counter(label: Self.refusalsName, dimensions: [("limit", limit.rawValue), ("owner", labels.label(for: owner))], factory: factory)
            .increment()
    }
}
