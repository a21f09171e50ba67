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
    /// Share of calls answered `429` (0…1), with the wait in ``rateLimitHeader``.
    public var rateLimitRate: Double
    /// Seconds to wait on injected 429s (0…60; the SDKs honour waits up to 60 s).
    public var retryAfterSeconds: Int
    /// How an injected 429 states its wait: `Retry-After: <seconds>`, or `x-ratelimit-reset: <epoch seconds>`
    /// (now + ``retryAfterSeconds``), the other header the SDKs honour (spec 1).
    public var rateLimitHeader: RateLimitHeader
    /// Share of calls answered by a proxy's HTML error page (`text/html`, as nginx in front of payOS would), with
    /// status ``htmlErrorStatus``; the call changes nothing (0…1).
    public var htmlErrorRate: Double
    /// 502 or 504.
    public var htmlErrorStatus: Int
    /// Share of calls whose connection is closed after the headers and half the body (0…1). The call takes
    /// effect: the client lost the answer, not the request (a create retried afterwards meets code 231).
    public var connectionResetRate: Double
    /// Share of signed answers (create, get, cancel, invoices) whose `signature` does not verify (0…1). The call
    /// itself takes effect, so clients must treat the answer as untrustworthy and re-read (spec 12.9).
    public var invalidSignatureRate: Double
    /// Share of signed answers sent without `signature` (0…1); the call takes effect. Node 2.x silently accepts
    /// such an answer (spec 1.1), so a client must refuse it itself.
    public var missingSignatureRate: Double
    /// Share of signed answers that are `{"code":"00","desc":"success","data":null}` (0…1); the call takes effect.
    public var nullDataRate: Double
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
        rateLimitHeader: RateLimitHeader = .retryAfter,
        htmlErrorRate: Double = 0,
        htmlErrorStatus: Int = 502,
        connectionResetRate: Double = 0,
        invalidSignatureRate: Double = 0,
        missingSignatureRate: Double = 0,
        nullDataRate: Double = 0,
        dropWebhookRate: Double = 0,
        duplicateWebhookRate: Double = 0,
        duplicateCopies: Int = 1,
        reorderWebhooks: Bool = false
    ) {
        self.latencyMs = latencyMs
        self.errorRate = errorRate
        self.rateLimitRate = rateLimitRate
        self.retryAfterSeconds = retryAfterSeconds
        self.rateLimitHeader = rateLimitHeader
        self.htmlErrorRate = htmlErrorRate
        self.htmlErrorStatus = htmlErrorStatus
        self.connectionResetRate = connectionResetRate
        self.invalidSignatureRate = invalidSignatureRate
        self.missingSignatureRate = missingSignatureRate
        self.nullDataRate = nullDataRate
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
            "latencyMs", "errorRate", "rateLimitRate", "retryAfterSeconds", "rateLimitHeader", "htmlErrorRate", "htmlErrorStatus",
            "connectionResetRate", "invalidSignatureRate", "missingSignatureRate", "nullDataRate", "dropWebhookRate",
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
        let htmlStatus = try input.optionalInt("htmlErrorStatus") ?? 502
        guard htmlStatus == 502 || htmlStatus == 504 else { throw .invalidInput("htmlErrorStatus must be 502 or 504") }
        let header = try input.optionalString("rateLimitHeader").map { name throws(SandboxControlError) in
            guard let header = RateLimitHeader(rawValue: name) else {
                throw .invalidInput("rateLimitHeader must be \"retry-after\" or \"x-ratelimit-reset\"")
            }
            return header
        }
        self.init(
            latencyMs: Int(latency),
            errorRate: try input.optionalRate("errorRate") ?? 0,
            rateLimitRate: try input.optionalRate("rateLimitRate") ?? 0,
            retryAfterSeconds: Int(retryAfter),
            rateLimitHeader: header ?? .retryAfter,
            htmlErrorRate: try input.optionalRate("htmlErrorRate") ?? 0,
            htmlErrorStatus: Int(htmlStatus),
            connectionResetRate: try input.optionalRate("connectionResetRate") ?? 0,
            invalidSignatureRate: try input.optionalRate("invalidSignatureRate") ?? 0,
            missingSignatureRate: try input.optionalRate("missingSignatureRate") ?? 0,
            nullDataRate: try input.optionalRate("nullDataRate") ?? 0,
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
            "rateLimitHeader": .string(rateLimitHeader.rawValue),
            "htmlErrorRate": .double(htmlErrorRate),
            "htmlErrorStatus": .int(Int64(htmlErrorStatus)),
            "connectionResetRate": .double(connectionResetRate),
            "invalidSignatureRate": .double(invalidSignatureRate),
            "missingSignatureRate": .double(missingSignatureRate),
            "nullDataRate": .double(nullDataRate),
            "dropWebhookRate": .double(dropWebhookRate),
            "duplicateWebhookRate": .double(duplicateWebhookRate),
            "duplicateCopies": .int(Int64(duplicateCopies)),
            "reorderWebhooks": .bool(reorderWebhooks),
        ]
    }
}

extension SandboxFaults {
    /// The header that carries an injected 429's wait.
    public enum RateLimitHeader: String, Sendable, Hashable {
        case retryAfter = "retry-after"
        case rateLimitReset = "x-ratelimit-reset"
    }
}

/// What the fault middleware does with one call.
enum FaultOutcome: Sendable, Hashable {
    case proceed
    case serverError
    case rateLimited(retryAfterSeconds: Int, header: SandboxFaults.RateLimitHeader)
    case htmlError(status: Int)
    case connectionReset
    /// The endpoint runs; its signed success answer is spoiled this way.
    case spoiledAnswer(AnswerFault)
}

/// How a signed success answer is spoiled (the call itself takes effect).
enum AnswerFault: Sendable, Hashable {
    case invalidSignature
    case missingSignature
    case nullData
}
