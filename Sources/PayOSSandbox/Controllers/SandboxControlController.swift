// Copyright (c) the Gatehouse authors
import HTTPTypes
import Hummingbird
import Logging
import PayOS

/// The sandbox's own control API under `/sandbox/` — never part of payOS's surface. JSON in and out; errors are
/// ``SandboxControlError`` (`{"error":{"code","message"}}`). Secrets (API and checksum keys) are never echoed.
struct SandboxControlController {
    let state: SandboxState

    var endpoints: RouteCollection<SandboxRequestContext> {
        RouteCollection(context: SandboxRequestContext.self)
            .get("channels", use: listChannels)
            .post("channels", use: addChannel)
            .put("channels/:clientId", use: putChannel)
            .get("channels/:clientId/faults", use: getFaults)
            .put("channels/:clientId/faults", use: putFaults)
            .post("channels/:clientId/webhooks/flush", use: flushWebhooks)
            .get("payment-requests/:id", use: getPaymentLink)
            .post("payment-requests/:id/pay", use: pay)
            .post("payment-requests/:id/status", use: forceStatus)
            .get("deliveries", use: listDeliveries)
    }

    /// `GET /sandbox/channels` → `{"channels": [{clientId, bin, accountNumber, accountName, webhookUrl}]}`.
    @Sendable func listChannels(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        ControlJSON(["channels": .array(await state.allChannels().map { .object($0.publicJSON) })])
    }

    /// `POST /sandbox/channels` with a channel object → 201; 409 if the client id exists.
    @Sendable func addChannel(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let channel = try SandboxChannel(json: try await Self.jsonBody(request, context: context))
        _ = try await state.addChannel(channel, replace: false)
        context.logger.info("Sandbox channel added", metadata: ["payos.client_id": .string(channel.clientId)])
        return ControlJSON(channel.publicJSON, status: .created)
    }

    /// `PUT /sandbox/channels/{clientId}` → 201 when new, 200 when replaced (e.g. rotated keys; links are kept).
    @Sendable func putChannel(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let clientId = try context.parameters.require("clientId")
        let channel = try SandboxChannel(json: try await Self.jsonBody(request, context: context), clientIdFromPath: clientId)
        let created = try await state.addChannel(channel, replace: true)
        let stored = await state.channel(clientId) ?? channel
        return ControlJSON(stored.publicJSON, status: created ? .created : .ok)
    }

    @Sendable func getFaults(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let clientId = try context.parameters.require("clientId")
        return ControlJSON(try await state.faults(clientId: clientId).json)
    }

    /// `PUT /sandbox/channels/{clientId}/faults`: replaces the set; `{}` clears it.
    @Sendable func putFaults(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let clientId = try context.parameters.require("clientId")
        let faults = try SandboxFaults(json: try await Self.jsonBody(request, context: context))
        try await state.setFaults(faults, clientId: clientId)
        context.logger.info("Sandbox faults set", metadata: ["payos.client_id": .string(clientId)])
        return ControlJSON(faults.json)
    }

    /// `POST /sandbox/channels/{clientId}/webhooks/flush`: send held webhooks now, newest first → `{"released": n}`.
    @Sendable func flushWebhooks(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let clientId = try context.parameters.require("clientId")
        let released = try await state.flushHeld(clientId: clientId)
        return ControlJSON(["released": .int(Int64(released))])
    }

    /// `GET /sandbox/payment-requests/{id}` → `{"clientId", "paymentLink": <payOS 10-key info>}` (no signature).
    @Sendable func getPaymentLink(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let link = try await state.resolve(controlID: try context.parameters.require("id"), clientId: Self.clientID(request))
        return ControlJSON(["clientId": .string(link.clientId), "paymentLink": .object(link.infoJSON(at: state.now()))])
    }

    /// `POST /sandbox/payment-requests/{orderCode|paymentLinkId}/pay` with optional
    /// `{"amount", "counterAccountBankId", "counterAccountBankName", "counterAccountName", "counterAccountNumber"}`.
    /// The amount defaults to what remains. Answers the transaction, the link's new state and the delivery ids.
    @Sendable func pay(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let id = try context.parameters.require("id")
        let json = try await Self.jsonBody(request, context: context, emptyAllowed: true)
        guard let object = json.objectValue else { throw SandboxControlError.invalidInput("the body must be a JSON object") }
        let known: Set<String> = ["amount", "late", "counterAccountBankId", "counterAccountBankName", "counterAccountName", "counterAccountNumber"]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw SandboxControlError.invalidInput("unknown field '\(unknown)'")
        }
        let input = ControlInput(object)
        let amount = try input.optionalInt("amount")
        var payer = SandboxState.Payer()
        if object["counterAccountBankId"] != nil { payer.bankId = try input.optionalString("counterAccountBankId") }
        if object["counterAccountBankName"] != nil { payer.bankName = try input.optionalString("counterAccountBankName") }
        if object["counterAccountName"] != nil { payer.name = try input.optionalString("counterAccountName") }
        if object["counterAccountNumber"] != nil { payer.accountNumber = try input.optionalString("counterAccountNumber") }
        let link = try await state.resolve(controlID: id, clientId: Self.clientID(request))
        let late: Bool
        switch object["late"] {
        case nil: late = false
        case .bool(let value): late = value
        default: throw SandboxControlError.invalidInput("late must be true or false")
        }
        let outcome = try await state.pay(linkID: link.id, amount: amount, payer: payer, late: late)
        context.logger.info(
            "Sandbox payment",
            metadata: ["payos.order_code": "\(link.orderCode)", "payos.reference": .string(outcome.transaction.reference)]
        )
        return ControlJSON(outcome.json(at: state.now()))
    }

    /// `POST /sandbox/payment-requests/{orderCode|paymentLinkId}/status` with `{"status": "PROCESSING" | "FAILED"}`:
    /// payOS's statuses no payment in the sandbox reaches by itself. No webhook is sent (payOS sends them only for
    /// payments); `GET` answers the new status. 409 `payment_link_final` for a paid, cancelled, expired or failed link.
    @Sendable func forceStatus(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let id = try context.parameters.require("id")
        guard let object = try await Self.jsonBody(request, context: context).objectValue else {
            throw SandboxControlError.invalidInput("the body must be a JSON object")
        }
        if let unknown = object.keys.first(where: { $0 != "status" }) { throw SandboxControlError.invalidInput("unknown field '\(unknown)'") }
        let text = try ControlInput(object).requiredString("status")
        guard let status = PaymentLinkStatus(rawValue: text), status == .processing || status == .failed else {
            throw SandboxControlError.invalidInput("status must be \"PROCESSING\" or \"FAILED\"")
        }
        let link = try await state.resolve(controlID: id, clientId: Self.clientID(request))
        let forced = try await state.forceStatus(linkID: link.id, to: status)
        context.logger.info("Sandbox status forced", metadata: ["payos.order_code": "\(link.orderCode)", "payos.status": "\(text)"])
        return ControlJSON(["clientId": .string(forced.clientId), "paymentLink": .object(forced.infoJSON(at: state.now()))])
    }

    /// `GET /sandbox/deliveries[?clientId=…]` → `{"deliveries": [...]}`, oldest first.
    @Sendable func listDeliveries(_ request: Request, context: SandboxRequestContext) async throws -> ControlJSON {
        let clientId = request.uri.queryParameters["clientId"].map(String.init)
        return ControlJSON(["deliveries": .array(await state.deliveries(clientId: clientId).map { .object($0.json) })])
    }

    // MARK: Helpers

    /// The channel named by `?clientId=` or `x-client-id`, to disambiguate order codes.
    static func clientID(_ request: Request) -> String? {
        request.uri.queryParameters["clientId"].map(String.init) ?? request.headers[.xClientID]
    }

    static func jsonBody(_ request: Request, context: SandboxRequestContext, emptyAllowed: Bool = false) async throws -> JSONValue {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        if buffer.readableBytes == 0 {
            guard emptyAllowed else { throw SandboxControlError.invalidInput("a JSON body is required") }
            return .object([:])
        }
        do {
            return try JSONValue(parsing: buffer.readableBytesView)
        } catch {
            throw SandboxControlError.invalidInput("the body is not valid JSON (\(error.description))")
        }
    }
}

extension SandboxState.PaymentOutcome {
    func json(at now: Int64) -> JSONObject {
        [
            "transaction": .object(transaction.infoJSON),
            "paymentLinkId": .string(link.id),
            "orderCode": .int(link.orderCode),
            "status": .string(link.status(at: now).rawValue),
            "amountPaid": .int(link.amountPaid),
            "amountRemaining": .int(link.amountRemaining),
            "deliveryIds": .array(deliveryIDs.map { .int(Int64($0)) }),
        ]
    }
}

/// A control-API JSON answer.
struct ControlJSON: ResponseGenerator {
    let body: JSONObject
    var status: HTTPResponse.Status = .ok

    init(_ body: JSONObject, status: HTTPResponse.Status = .ok) {
        self.body = body
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(body).compactBytes))
        )
    }
}
