// Copyright (c) the Gatehouse authors
public import PayOS
import GatehouseCore

/// The statuses the sandbox emits — payOS's closed enum (spec 2.8), so every SDK accepts them.
///
/// `PROCESSING` and `FAILED` arise only when forced through the control API (`POST /sandbox/payment-requests/{id}/status`):
/// nothing documents when payOS uses them, but a client must still handle them.
public enum PaymentLinkStatus: String, Sendable, Hashable {
    case pending = "PENDING"
    /// Forced: money is on its way (the link still takes a payment, and does not expire meanwhile).
    case processing = "PROCESSING"
    /// Some money arrived but less than `amount`: the link stays payable (the buyer may transfer the rest).
    /// payOS's enum has this value and no source defines it otherwise [INF], so it beats leaving a partly paid link
    /// indistinguishable from an untouched one.
    case underpaid = "UNDERPAID"
    case paid = "PAID"
    case cancelled = "CANCELLED"
    case expired = "EXPIRED"
    /// Forced: final, like cancelled; the amounts and transactions stay as they were.
    case failed = "FAILED"
}

/// One incoming bank transfer to a payment link.
public struct PaymentTransaction: Sendable, Hashable {
    /// Bank reference, `FT` + year + day of year + 9 digits, unique within the sandbox.
    public var reference: String
    public var amount: Int64
    /// Receiving account.
    public var accountNumber: String
    /// Transfer content as the bank received it (ASCII).
    public var description: String
    /// Unix seconds.
    public var time: Int64
    public var counterAccountBankId: String?
    public var counterAccountBankName: String?
    public var counterAccountName: String?
    public var counterAccountNumber: String?

    /// The 11-key transaction object of `GET /v2/payment-requests/{id}` (spec 2.2), in payOS's key order.
    public var infoJSON: JSONObject {
        [
            "reference": .string(reference),
            "amount": .int(amount),
            "accountNumber": .string(accountNumber),
            "description": .string(description),
            "transactionDateTime": .string(VietnamTime.iso8601(time)),
            "virtualAccountName": .null,
            "virtualAccountNumber": .null,
            "counterAccountBankId": counterAccountBankId.map(JSONValue.string) ?? .null,
            "counterAccountBankName": counterAccountBankName.map(JSONValue.string) ?? .null,
            "counterAccountName": counterAccountName.map(JSONValue.string) ?? .null,
            "counterAccountNumber": counterAccountNumber.map(JSONValue.string) ?? .null,
        ]
    }
}

/// A payment link as the sandbox stores it.
public struct SandboxPaymentLink: Sendable, Hashable {
    /// `paymentLinkId`: 32 lowercase hex characters.
    public let id: String
    /// The channel that created it.
    public let clientId: String
    public let orderCode: Int64
    public let amount: Int64
    public let description: String
    public let returnUrl: String
    public let cancelUrl: String
    /// Unix seconds, or nil for no expiry.
    public let expiredAt: Int64?
    /// Unix seconds.
    public let createdAt: Int64
    /// Receiving bank account, fixed when the link was made (later channel edits do not move money already asked for).
    public let bin: String
    public let accountNumber: String
    public let accountName: String
    /// What the buyer's bank app puts in the transfer: a 10-character code plus the ASCII-folded description.
    public let transferContent: String
    /// The VietQR text.
    public let qrCode: String
    public internal(set) var transactions: [PaymentTransaction] = []
    public internal(set) var canceledAt: Int64?
    public internal(set) var cancellationReason: String?
    /// `PROCESSING` or `FAILED` when forced by the control API; a full payment or a cancel still wins.
    public internal(set) var forcedStatus: PaymentLinkStatus?

    public var amountPaid: Int64 { transactions.reduce(0) { $0 + $1.amount } }
    public var amountRemaining: Int64 { max(amount - amountPaid, 0) }

    /// The status at `now` (Unix seconds). Expiry is evaluated lazily, as payOS flips PENDING → EXPIRED once
    /// `expiredAt` has passed; a partly paid link reports UNDERPAID even after expiry, since money was received.
    public func status(at now: Int64) -> PaymentLinkStatus {
        if canceledAt != nil { return .cancelled }
        if amountPaid >= amount { return .paid }
        if let forcedStatus { return forcedStatus }
        if amountPaid > 0 { return .underpaid }
        if let expiredAt, now >= expiredAt { return .expired }
        return .pending
    }

    /// Whether a transfer can still be made: not final, not past `expiredAt` (unless a transfer is processing).
    public func isPayable(at now: Int64) -> Bool {
        switch status(at: now) {
        case .processing: return true
        case .pending, .underpaid: break
        case .paid, .cancelled, .expired, .failed: return false
        }
        if let expiredAt, now >= expiredAt { return false }
        return true
    }

    /// Whether the status can no longer change (paid, cancelled, expired, failed).
    public func isFinal(at now: Int64) -> Bool {
        switch status(at: now) {
        case .pending, .processing, .underpaid: false
        case .paid, .cancelled, .expired, .failed: true
        }
    }

    /// The exact 12-key `data` of a create response (spec 2.1), in payOS's key order.
    /// Written by the protocol module's own model, so the simulator cannot drift from what the client decodes.
    func createResponseJSON(checkoutBaseURL: String) -> JSONObject {
        CreatePaymentLinkResponse(
            bin: bin, accountNumber: accountNumber, accountName: accountName, amount: amount, description: description,
            orderCode: orderCode, currency: "VND", paymentLinkId: id, status: .pending, expiredAt: expiredAt,
            checkoutUrl: Self.checkoutURL(base: checkoutBaseURL, id: id), qrCode: qrCode
        ).toJSON()
    }

    /// The exact 10-key `data` of `GET /v2/payment-requests/{id}` and of cancel (spec 2.2).
    func infoJSON(at now: Int64) -> JSONObject {
        [
            "id": .string(id),
            "orderCode": .int(orderCode),
            "amount": .int(amount),
            "amountPaid": .int(amountPaid),
            "amountRemaining": .int(amountRemaining),
            "status": .string(status(at: now).rawValue),
            "createdAt": .string(VietnamTime.iso8601(createdAt)),
            "transactions": .array(transactions.map { .object($0.infoJSON) }),
            "canceledAt": canceledAt.map { .string(VietnamTime.iso8601($0)) } ?? .null,
            "cancellationReason": cancellationReason.map(JSONValue.string) ?? .null,
        ]
    }

    /// The exact 16-key webhook `data` for one transaction (spec 5.1), in the order real payloads use.
    /// Absent payer fields are sent as `""`, as real payloads do; all 16 keys are always present (spec 4.2 caveat).
    func webhookData(for transaction: PaymentTransaction) -> JSONObject {
        [
            "accountNumber": .string(transaction.accountNumber),
            "amount": .int(transaction.amount),
            "description": .string(transaction.description),
            "reference": .string(transaction.reference),
            "transactionDateTime": .string(VietnamTime.webhookDateTime(transaction.time)),
            "virtualAccountNumber": "",
            "counterAccountBankId": .string(transaction.counterAccountBankId ?? ""),
            "counterAccountBankName": .string(transaction.counterAccountBankName ?? ""),
            "counterAccountName": .string(transaction.counterAccountName ?? ""),
            "counterAccountNumber": .string(transaction.counterAccountNumber ?? ""),
            "virtualAccountName": "",
            "currency": "VND",
            "orderCode": .int(orderCode),
            "paymentLinkId": .string(id),
            "code": "00",
            "desc": "success",
        ]
    }

    static func checkoutURL(base: String, id: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/web/" + id
    }
}

/// Webhook envelopes (spec 5.1): `{code, desc, success, data, signature}`; only `data` is signed.
enum WebhookEnvelope {
    /// The envelope of `data` for `channel`: its ``SandboxChannel/extraFields`` are added to `data` (and signed with
    /// it) and to the top level.
    static func body(data: JSONObject, channel: SandboxChannel) -> JSONValue {
        let data = channel.addingExtraFields(to: data)
        let body: JSONObject = [
            "code": "00",
            "desc": "success",
            "success": true,
            "data": .object(data),
            "signature": .string(PayOSSignature.body(data, checksumKey: channel.checksumKey)),
        ]
        return .object(channel.addingExtraFields(to: body))
    }

    /// The docs' sample payload that payOS POSTs when a webhook URL is confirmed (spec 5.4). Merchant code recognises
    /// it by `accountNumber` `12345678` and `reference` `TF230204212323`; with the docs' checksum key it signs to
    /// `412e915d…` (vector W4), which pins every value below, including `desc` "Thành công".
    static let confirmProbeData: JSONObject = [
        "orderCode": 123,
        "amount": 3000,
        "description": "VQRIO123",
        "accountNumber": "12345678",
        "reference": "TF230204212323",
        "transactionDateTime": "2023-02-04 18:25:00",
        "currency": "VND",
        "paymentLinkId": "124c33293c43417ab7879e14c8d9eb18",
        "code": "00",
        "desc": "Thành công",
        "counterAccountBankId": "",
        "counterAccountBankName": "",
        "counterAccountName": "",
        "counterAccountNumber": "",
        "virtualAccountName": "",
        "virtualAccountNumber": "",
    ]
}
