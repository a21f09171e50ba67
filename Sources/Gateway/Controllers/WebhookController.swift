// Copyright (c) the Gatehouse authors
import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import PayOS
import Tenancy
import Vault
import GatehouseCore
public import Payments
public import GatehouseHTTP

/// `POST /webhook/payos/{owner_webhook_key}` (the per-owner URL registered with payOS) and the seed's
/// `POST /webhook/payos` (owner resolved from the orderCode).
///
/// Answers 2xx once the verified webhook is in the durable inbox (it is settled right after, by the inbox workers,
/// whatever payOS does next); a bad signature is 400 `INVALID_SIGNATURE`; a failure before the webhook is stored
/// (the database unavailable) is 5xx so that payOS delivers again.
///
/// Refusals (bad signature, unknown webhook key, not a webhook) are charged to the client's address and to the
/// webhook key; an address, or a key, that used up its budget is answered 429 before the body is read — a key's
/// recent senders of verified webhooks (payOS) excepted — so a forged flood, from one address or many, costs no
/// database work and never holds up payOS's own deliveries.
public struct WebhookController: Sendable {
    let webhooks: WebhookService
    let failures: AuthFailureLimiter
    let keyFailures: WebhookKeyFailureGuard

    public init(webhooks: WebhookService, failures: AuthFailureLimiter, keyFailures: WebhookKeyFailureGuard) {
        self.webhooks = webhooks
        self.failures = failures
        self.keyFailures = keyFailures
    }

    public var endpoints: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.post("/webhook/payos/{key}", use: ownerWebhook)
        routes.post("/webhook/payos", use: sharedWebhook)
        return routes
    }

    struct Answer: Encodable {
        let success = true
        let message: String
        let order_code: String?
        let status: String?
    }

    @Sendable func ownerWebhook(request: Request, context: GatehouseRequestContext) async throws -> JSONResponse<Answer> {
        guard let key = context.parameters.get("key"), !key.isEmpty, key.utf8.count <= 64 else { throw APIError.notFound("webhook") }
        return try await handle(request, context: context, webhookKey: key)
    }

    @Sendable func sharedWebhook(request: Request, context: GatehouseRequestContext) async throws -> JSONResponse<Answer> {
        try await handle(request, context: context, webhookKey: nil)
    }

    private func handle(_ request: Request, context: GatehouseRequestContext, webhookKey: String?) async throws -> JSONResponse<Answer> {
        try await failures.admit(request, context: context, kind: .webhook)
        // The shared route has no key of its own: its refusals share one budget.
        let guardKey = webhookKey ?? "shared"
        try await keyFailures.admit(key: guardKey, request, context: context)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError.payloadTooLarge
        }
        let audit = AuditContext(actor: "payos:webhook", requestID: context.requestID)
        do {
            let result = try await webhooks.receive(body: Array(body.readableBytesView), webhookKey: webhookKey, audit: audit, logger: context.logger)
            if result.outcome != .onboardingProbe { keyFailures.recordVerified(key: guardKey, request, context: context) }
            let message: String =
                switch result.outcome {
                // The seed's message: payOS reads only the status, and clients of the seed's contract may read this.
                case .accepted: "Webhook processed successfully"
                case .duplicate: "Webhook already processed"
                case .unknownOrder: "Webhook recorded"
                case .onboardingProbe: "Webhook recorded"
                }
            return JSONResponse(Answer(message: message, order_code: String(result.orderCode), status: result.isPaid ? "PAID" : nil))
        } catch let refusal as WebhookService.Refusal {
            // The shared route's unattributable webhook is acknowledged (payOS's own probes look like that), not charged.
            if !(refusal.reason == .unknownOwner && webhookKey == nil) {
                failures.recordFailure(request, context: context, kind: .webhook)
                keyFailures.recordRefusal(key: guardKey)
            }
            switch refusal.reason {
            case .invalidSignature:
                throw APIError(status: .badRequest, code: "INVALID_SIGNATURE", message: "Invalid signature")
            case .malformed:
                throw APIError.validation("the body is not a payOS webhook")
            case .unknownOwner where webhookKey != nil:
                throw APIError.notFound("webhook")
            case .unknownOwner:
                // The shared route cannot attribute (or verify) a webhook for an orderCode no payment has: acknowledged, not stored.
                context.logger.info("unattributable payOS webhook on the shared route acknowledged")
                return JSONResponse(Answer(message: "Webhook acknowledged", order_code: nil, status: nil))
            }
        }
    }
}
