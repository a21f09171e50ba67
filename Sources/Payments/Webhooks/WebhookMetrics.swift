// Copyright (c) the Gatehouse authors
public import CoreMetrics
import Synchronization
public import GatehouseCore

/// This instance's webhook-verification counter for Prometheus (swift-metrics, through an injected factory so tests
/// read a registry of their own and library code never touches the global bootstrap).
///
/// `gatehouse_webhook_verifications_total{result="ok"|"invalid", owner=…}`. The owner label is **bounded**: an owner id
/// for the first ``maximumLabelledOwners`` owners this process sees, `other` after that, `unknown` when no owner could
/// be resolved — so a platform with thousands of owners (or an attacker spraying webhook keys) cannot blow up the
/// series count (at most 2 × (limit + 2) series). The exact per-owner figures live in the database
/// (`webhook_rejection`, `GET /admin/metrics`); Prometheus is for alerting on rates.
public struct WebhookMetrics: Sendable {
    public static let verificationsName = "gatehouse_webhook_verifications_total"

    /// The verdict on one webhook's signature.
    public enum Result: String, Sendable {
        case ok
        case invalid
    }

    let factory: any MetricsFactory
    let labels: BoundedOwnerLabels

    /// - Parameters:
    ///   - factory: where counters are made (the process's Prometheus factory; a test registry's factory in tests).
    ///   - maximumLabelledOwners: how many distinct owner ids may appear as labels.
    public init(factory: any MetricsFactory, maximumLabelledOwners: Int = 50) {
        self.factory = factory
        self.labels = BoundedOwnerLabels(limit: maximumLabelledOwners)
    }

    public static let settlementsName = "gatehouse_webhook_settlements_total"
    public static let settleLagName = "gatehouse_webhook_settle_lag_seconds"

    /// How one settlement attempt of an acknowledged webhook ended.
    public enum SettlementResult: String, Sendable {
        /// Applied (or found to concern no payment of the owner).
        case settled
        /// Failed; held for another attempt after a backoff.
        case retry
    }

    /// Counts one settlement attempt and, when it settled, records the time from receipt (the acknowledgement) to
    /// settlement: `gatehouse_webhook_settlements_total{result}` and the `gatehouse_webhook_settle_lag_seconds` timer.
    public func settlement(_ result: SettlementResult, lagMillis: Int64?) {
        Counter(label: Self.settlementsName, dimensions: [("result", result.rawValue)], factory: factory).increment()
        if let lagMillis {
            Timer(label: Self.settleLagName, dimensions: [], preferredDisplayUnit: .seconds, factory: factory).recordMilliseconds(lagMillis)
        }
    }

    /// Counts one verification.
    public func verification(_ result: Result, owner: OwnerID?) {
        Counter(label: Self.verificationsName, dimensions: [("result", result.rawValue), ("owner", labels.label(for: owner))], factory: factory)
            .increment()
    }
}

/// Owner ids as metric label values, at most `limit` distinct ids, then `other`.
public final class BoundedOwnerLabels: Sendable {
    private let limit: Int
    private let seen = Mutex(Set<Int64>())

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    public func label(for owner: OwnerID?) -> String {
        guard let owner else { return "unknown" }
        let admitted = seen.withLock { seen in
            if seen.contains(owner.rawValue) { return true }
            guard seen.count < limit else { return false }
            seen.insert(owner.rawValue)
            return true
        }
        return admitted ? String(owner.rawValue) : "other"
    }
}
