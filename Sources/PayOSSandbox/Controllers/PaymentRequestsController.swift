// Copyright (c) the Gatehouse authors
import Hummingbird
import Logging
import PayOS

/// payOS's payment-link endpoints (spec 2.1–2.4), mounted at `/v2/payment-requests`.
struct PaymentRequestsController {
    let state: SandboxState

    var endpoints: RouteCollection<ChannelRequestContext> {
        RouteCollection(context: ChannelRequestContext.self)
            .post(use: create)
            .get(":id", use: get)
            .post(":id/cancel", use: cancel)
            .get(":id/invoices", use: invoices)
            .get(":id/invoices/:invoiceId/download", use: downloadInvoice)
    }

    /// `POST /v2/payment-requests`: validate (code 20), check the 5-field signature (201), enforce order-code
    /// uniqueness (231), answer the 12-key data signed with the channel's key.
    @Sendable func create(_ request: Request, context: ChannelRequestContext) async throws -> PayOSEnvelope {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let channel = context.channel
        do {
            let create = try CreatePaymentLinkRequest(sandboxBody: Array(body.readableBytesView))
            let signatureMatches = PayOSSignature.verifyCreateRequest(
                amount: create.amount,
                cancelUrl: create.cancelUrl,
                description: create.description,
                orderCode: create.orderCode,
                returnUrl: create.returnUrl,
                signature: create.signature ?? "",
                checksumKey: channel.checksumKey
            )
            guard signatureMatches else { throw PayOSBusinessError.invalidSignature }
            if !channel.linkedAccount, create.description.utf16.count > CreatePaymentLinkRequest.maximumUnlinkedAccountDescriptionLength {
                throw PayOSBusinessError.descriptionTooLongForAccount
            }
            let link = try await state.createLink(create, channel: channel)
            context.logger.info("Payment link created", metadata: ["payos.order_code": "\(link.orderCode)", "payos.payment_link_id": "\(link.id)"])
            let base = await state.checkoutBaseURL
            return context.signedSuccess(link.createResponseJSON(checkoutBaseURL: base))
        } catch let error as PayOSBusinessError {
            return .failure(error)
        }
    }

    /// `GET /v2/payment-requests/{orderCode|paymentLinkId}`: the 10-key link info, or code 101.
    @Sendable func get(_ request: Request, context: ChannelRequestContext) async throws -> PayOSEnvelope {
        let id = try context.parameters.require("id")
        guard let link = await state.link(pathID: id, clientId: context.channel.clientId) else { return .failure(.notFound) }
        return context.signedSuccess(link.infoJSON(at: state.now()))
    }

    /// `POST /v2/payment-requests/{id}/cancel`: body empty, `{}` or `{"cancellationReason": …}`; a `signature` member
    /// (Python 1.x sends one) is ignored, as payOS must accept SDKs that send none.
    @Sendable func cancel(_ request: Request, context: ChannelRequestContext) async throws -> PayOSEnvelope {
        var request = request
        let id = try context.parameters.require("id")
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var reason: String?
        if body.readableBytes > 0 {
            guard let json = try? JSONValue(parsing: body.readableBytesView), let object = json.objectValue else {
                return .failure(.invalidInput)
            }
            switch object["cancellationReason"] {
            case nil, .null?: reason = nil
            case .string(let text)?: reason = text.isEmpty ? nil : text
            default: return .failure(.invalidInput)
            }
        }
        guard let link = await state.link(pathID: id, clientId: context.channel.clientId) else { return .failure(.notFound) }
        do {
            let cancelled = try await state.cancel(linkID: link.id, reason: reason)
            context.logger.info("Payment link cancelled", metadata: ["payos.order_code": "\(link.orderCode)"])
            return context.signedSuccess(cancelled.infoJSON(at: state.now()))
        } catch {
            return .failure(error)
        }
    }

    /// `GET /v2/payment-requests/{id}/invoices`: the sandbox issues no e-invoices, so always `{"invoices": []}`, signed.
    @Sendable func invoices(_ request: Request, context: ChannelRequestContext) async throws -> PayOSEnvelope {
        let id = try context.parameters.require("id")
        guard await state.link(pathID: id, clientId: context.channel.clientId) != nil else { return .failure(.notFound) }
        return context.signedSuccess(["invoices": []])
    }

    /// `GET /v2/payment-requests/{id}/invoices/{invoiceId}/download`: payOS answers a PDF for an invoice it issued and
    /// its JSON envelope otherwise (spec 2.4: the Node SDK then raises the envelope's code). The sandbox issues none,
    /// so: code 101 for an unknown link, ``PayOSBusinessError/invoiceNotFound`` for a known one.
    @Sendable func downloadInvoice(_ request: Request, context: ChannelRequestContext) async throws -> PayOSEnvelope {
        let id = try context.parameters.require("id")
        guard await state.link(pathID: id, clientId: context.channel.clientId) != nil else { return .failure(.notFound) }
        return .failure(.invoiceNotFound)
    }
}
