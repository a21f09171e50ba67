// Copyright (c) the Gatehouse authors
import PayOS

/// Faults injected into one channel's traffic, to exercise clients' retry and idempotency paths.
///
/// API faults apply to payOS endpoints called with the channel's credentials (after authentication, before the
/// endpoint runs, so a faulted call has no effect). Webhook faults apply to payment webhooks (not to the
/// confirm-webhook probe, whose outcome the caller sees directly).
public struct SandboxFaults: Sendable, Hashable {
    /// Delay before answering, in milliseconds (0…60 000).
    public var latencyMs: Int
    /// Share of calls answered `500` with a payOS-style JSON body (0…1).
    public var errorRate: Double
    /// Share of calls answered `429` with `Retry-After` (0…1).
    public var rateLimitRate: Double
    /// `Retry-After` seconds on injected 429s (0…60; the SDKs honour waits up to 60 s).
    public var retryAfterSeconds: Int
    /// Share of signed answers (create, get, cancel, invoices) whose `signature` does not verify (0…1). The call
    /// itself takes effect, so clients must treat the answer as untrustworthy and re-read (spec 12.9).
    public var invalidSignatureRate: Double
    /// Share of payment webhooks never sent (0…1).
    public var dropWebhookRate: Double
    /// Share of payment webhooks sent more than once (0…1).
    public var duplicateWebhookRate: Double
    /// How many extra copies a duplicated webhook gets (1…5; 2 = every duplicated webhook arrives three times).
    public var duplicateCopies: Int
    /// Hold payment webhooks back and deliver them newest first: a held webhook is released, after the next one,
    /// when a second one arrives, or on `POST /sandbox/channels/{clientId}/webhooks/flush`.
    public var reorderWebhooks: Bool

    /// No faults.
    public static let off = SandboxFaults()

    public init(
        latencyMs: Int = 0,
        errorRate: Double = 0,
        rateLimitRate: Double = 0,
        retryAfterSeconds: Int = 1,
        invalidSignatureRate: Double = 0,
        dropWebhookRate: Double = 0,
        duplicateWebhookRate: Double = 0,
        duplicateCopies: Int = 1,
        reorderWebhooks: Bool = false
    ) {
        self.latencyMs = latencyMs
        self.errorRate = errorRate
        self.rateLimitRate = rateLimitRate
        self.retryAfterSeconds = retryAfterSeconds
        self.invalidSignatureRate = invalidSignatureRate
        self.dropWebhookRate = dropWebhookRate
        self.duplicateWebhookRate = duplicateWebhookRate
        self.duplicateCopies = duplicateCopies
        self.reorderWebhooks = reorderWebhooks
    }

    /// Parses the body of `PUT /sandbox/channels/{clientId}/faults`. The body replaces the whole set: absent fields
    /// take their defaults, so `{}` clears every fault. Unknown fields and out-of-range values are refused.
    init(json: JSONValue) throws(SandboxControlError) {
        guard let object = json.objectValue else { throw .invalidInput("faults must be a JSON object") }
        let known: Set<String> = [
            "latencyMs", "errorRate", "rateLimitRate", "retryAfterSeconds", "invalidSignatureRate", "dropWebhookRate",
            "duplicateWebhookRate", "duplicateCopies", "reorderWebhooks",
        ]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw .invalidInput("unknown fault '\(unknown)'; known: \(known.sorted().joined(separator: ", "))")
        }
        let input = ControlInput(object)
        let latency = try input.optionalInt("latencyMs") ?? 0
        guard (0...60_000).contains(latency) else { throw .invalidInput("latencyMs must be between 0 and 60000") }
        let retryAfter = try input.optionalInt("retryAfterSeconds") ?? 1
        guard (0...60).contains(retryAfter) else { throw .invalidInput("retryAfterSeconds must be between 0 and 60") }
        let copies = try input.optionalInt("duplicateCopies") ?? 1
        guard (1...5).contains(copies) else { throw .invalidInput("duplicateCopies must be between 1 and 5") }
        self.init(
            latencyMs: Int(latency),
            errorRate: try input.optionalRate("errorRate") ?? 0,
            rateLimitRate: try input.optionalRate("rateLimitRate") ?? 0,
            retryAfterSeconds: Int(retryAfter),
            invalidSignatureRate: try input.optionalRate("invalidSignatureRate") ?? 0,
            dropWebhookRate: try input.optionalRate("dropWebhookRate") ?? 0,
            duplicateWebhookRate: try input.optionalRate("duplicateWebhookRate") ?? 0,
            duplicateCopies: Int(copies),
            reorderWebhooks: try input.optionalBool("reorderWebhooks") ?? false
        )
    }

    var json: JSONObject {
        [
            "latencyMs": .int(Int64(latencyMs)),
            "errorRate": .double(errorRate),
            "rateLimitRate": .double(rateLimitRate),
            "retryAfterSeconds": .int(Int64(retryAfterSeconds)),
            "invalidSignatureRate": .double(invalidSignatureRate),
            "dropWebhookRate": .double(dropWebhookRate),
            "duplicateWebhookRate": .double(duplicateWebhookRate),
            "duplicateCopies": .int(Int64(duplicateCopies)),
            "reorderWebhooks": .bool(reorderWebhooks),
        ]
    }
}

/// What the fault middleware does with one call.
enum FaultOutcome: Sendable, Hashable {
    case proceed
    case serverError
    case rateLimited(retryAfterSeconds: Int)
    case invalidSignature
}
