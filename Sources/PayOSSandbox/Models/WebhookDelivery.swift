// Copyright (c) the Gatehouse authors
import PayOS

/// One webhook the sandbox sent, will send, or decided not to send — the delivery log tests read.
public struct WebhookDelivery: Sendable, Hashable {
    /// Where a delivery stands.
    public enum State: String, Sendable, Hashable {
        /// Waiting for the dispatcher (or between retries).
        case pending
        /// Held back by the `reorderWebhooks` fault.
        case held
        /// A 2xx answer arrived.
        case delivered
        /// Every attempt failed.
        case failed
        /// Not sent, by the `dropWebhookRate` fault.
        case dropped
        /// Not sent: the channel has no webhook URL.
        case noWebhookURL = "no_webhook_url"
        /// The sandbox shut down before it could be delivered.
        case abandoned
    }

    /// One HTTP attempt.
    public struct Attempt: Sendable, Hashable {
        /// 1-based.
        public var number: Int
        /// Unix milliseconds when the attempt started.
        public var startedAtMs: Int64
        /// The HTTP status, when an answer arrived.
        public var status: Int?
        /// Why no 2xx answer arrived (axios-style text, e.g. "Request failed with status code 500").
        public var error: String?
    }

    /// Sequence number, from 1.
    public let id: Int
    public let clientId: String
    public let orderCode: Int64
    public let paymentLinkId: String
    /// Bank reference of the transaction the webhook reports.
    public let reference: String
    /// Target URL (nil when the channel had none).
    public let url: String?
    /// The exact JSON body (compact).
    public let body: String
    /// For a duplicate injected by `duplicateWebhookRate`: the id of the original.
    public let duplicateOf: Int?
    public internal(set) var state: State
    public internal(set) var attempts: [Attempt] = []

    var json: JSONObject {
        [
            "id": .int(Int64(id)),
            "clientId": .string(clientId),
            "orderCode": .int(orderCode),
            "paymentLinkId": .string(paymentLinkId),
            "reference": .string(reference),
            "url": url.map(JSONValue.string) ?? .null,
            "state": .string(state.rawValue),
            "duplicateOf": duplicateOf.map { .int(Int64($0)) } ?? .null,
            "attempts": .array(
                attempts.map { attempt in
                    .object([
                        "number": .int(Int64(attempt.number)),
                        "startedAtMs": .int(attempt.startedAtMs),
                        "status": attempt.status.map { .int(Int64($0)) } ?? .null,
                        "error": attempt.error.map(JSONValue.string) ?? .null,
                    ])
                }
            ),
            "body": .string(body),
        ]
    }
}
