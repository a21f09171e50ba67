// Copyright (c) the Gatehouse authors
import Hummingbird
import Logging
import PayOS

/// `POST /confirm-webhook` (spec 2.5, 5.4): probe the URL with the docs' sample webhook signed with the channel's
/// key; on 2xx remember the URL and answer the five-key data, otherwise code 20 "Webhook url invalid".
struct ConfirmWebhookController {
    let state: SandboxState
    let sender: WebhookSender

    var endpoints: RouteCollection<ChannelRequestContext> {
        RouteCollection(context: ChannelRequestContext.self)
            .post(use: confirm)
    }

    @Sendable func confirm(_ request: Request, context: ChannelRequestContext) async throws -> PayOSEnvelope {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        guard let json = try? JSONValue(parsing: body.readableBytesView), let urlText = json["webhookUrl"]?.stringValue,
            !urlText.isEmpty
        else {
            return .failure(.invalidInput)
        }
        guard let url = WebhookURL(urlText) else { return .failure(.webhookURLInvalid("Invalid URL")) }
        let channel = context.channel
        let probe = WebhookEnvelope.body(data: WebhookEnvelope.confirmProbeData, channel: channel)
        let outcome = await sender.post(probe.compactBytes, to: url)
        guard outcome.succeeded else {
            context.logger.info("Webhook URL refused", metadata: ["webhook.error": "\(outcome.error ?? "")"])
            return .failure(.webhookURLInvalid(outcome.error ?? "Network Error"))
        }
        await state.setWebhookURL(urlText, clientId: channel.clientId)
        context.logger.info("Webhook URL confirmed")
        let bank = BankDirectory.bank(forBIN: channel.bin)
        // No signature: no SDK checks one on this endpoint and nothing shows payOS sends one (spec 11).
        return .success(
            channel.addingExtraFields(to: [
                "webhookUrl": .string(urlText),
                "accountName": .string(channel.accountName),
                "accountNumber": .string(channel.accountNumber),
                "name": .string(bank.name),
                "shortName": .string(bank.shortName),
            ]),
            signedWith: nil
        )
    }
}
