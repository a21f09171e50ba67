// Copyright (c) the Gatehouse authors
import PayOS
import Sodium
import GatehouseCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Everything the sandbox remembers, for as long as it runs: channels, faults, payment links, the webhook
/// delivery log. One actor, so each endpoint's check-then-act (order-code uniqueness, pay-then-notify) is atomic.
actor SandboxState {
    private var channels: [String: SandboxChannel] = [:]
    private var faultsByClient: [String: SandboxFaults] = [:]
    private var apiCallLog: [SandboxAPICall] = []
    private var links: [String: SandboxPaymentLink] = [:]
    /// clientId → orderCode → paymentLinkId. Order codes are unique per channel, never globally.
    private var linkIDsByOrderCode: [String: [Int64: String]] = [:]
    private var references: Set<String> = []
    /// Index `i` holds delivery id `i + 1`.
    private var deliveryLog: [WebhookDelivery] = []
    /// clientId → groups of held delivery ids (one group per payment), for `reorderWebhooks`.
    private var held: [String: [[Int]]] = [:]
    private var faultRandom: any RandomNumberGenerator & Sendable
    private let jobs: AsyncStream<WebhookJob>.Continuation
    let now: @Sendable () -> Int64
    private let configuredBaseURL: String?
    private let fallbackBaseURL: String
    private var boundBaseURL: String?
    private var serverStopped = false
    private var addressWaiters: [CheckedContinuation<String, any Error>] = []

    init(configuration: PayOSSandbox.Configuration, jobs: AsyncStream<WebhookJob>.Continuation) {
        for channel in configuration.channels { channels[channel.clientId] = channel }
        self.faultRandom = configuration.faultRandomSource
        self.jobs = jobs
        self.now = configuration.now
        self.configuredBaseURL = configuration.publicBaseURL
        self.fallbackBaseURL = "http://\(Self.urlHost(configuration.host)):\(configuration.port)"
    }

    // MARK: Address

    /// Base of `checkoutUrl`: the configured public base, else the bound address.
    var checkoutBaseURL: String { configuredBaseURL ?? boundBaseURL ?? fallbackBaseURL }

    func serverBound(host: String, port: Int) {
        let url = "http://\(Self.urlHost(host)):\(port)"
        boundBaseURL = url
        for waiter in addressWaiters { waiter.resume(returning: url) }
        addressWaiters.removeAll()
    }

    func serverStopped(error: any Error) {
        serverStopped = true
        boundBaseURL = nil
        for waiter in addressWaiters { waiter.resume(throwing: error) }
        addressWaiters.removeAll()
    }

    /// The bound base URL, waiting until the server listens; an error once it has stopped.
    func boundURL() async throws -> String {
        if let boundBaseURL { return boundBaseURL }
        if serverStopped { throw PayOSSandboxError.notRunning }
        return try await withCheckedThrowingContinuation { addressWaiters.append($0) }
    }

    private static func urlHost(_ host: String) -> String {
        switch host {
        case "0.0.0.0", "", "*": return "127.0.0.1"
        case "::": return "[::1]"
        default: return host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
    }

    // MARK: Channels

    /// Adds a channel; with `replace`, an existing one with the same client id is replaced (key rotation) and keeps
    /// its links, faults and — unless the new object names one — its webhook URL.
    /// - Returns: whether the channel is new.
    func addChannel(_ channel: SandboxChannel, replace: Bool) throws(SandboxControlError) -> Bool {
        if let existing = channels[channel.clientId] {
            guard replace else { throw .channelExists(channel.clientId) }
            var channel = channel
            if channel.webhookUrl == nil { channel.webhookUrl = existing.webhookUrl }
            channels[channel.clientId] = channel
            return false
        }
        channels[channel.clientId] = channel
        return true
    }

    func channel(_ clientId: String) -> SandboxChannel? { channels[clientId] }

    func allChannels() -> [SandboxChannel] { channels.values.sorted { $0.clientId < $1.clientId } }

    /// The channel whose credentials these are, or nil. The API key is compared in constant time.
    func authenticate(clientId: String, apiKey: String) -> SandboxChannel? {
        guard let channel = channels[clientId], ConstantTime.equals(channel.apiKey, apiKey) else { return nil }
        return channel
    }

    func setWebhookURL(_ url: String, clientId: String) {
        channels[clientId]?.webhookUrl = url
    }

    // MARK: Faults

    func faults(clientId: String) throws(SandboxControlError) -> SandboxFaults {
        guard channels[clientId] != nil else { throw .channelNotFound(clientId) }
        return faultsByClient[clientId] ?? .off
    }

    /// Replaces a channel's faults. Turning `reorderWebhooks` off releases what it held, so nothing is lost.
    func setFaults(_ newFaults: SandboxFaults, clientId: String) throws(SandboxControlError) {
        guard channels[clientId] != nil else { throw .channelNotFound(clientId) }
        faultsByClient[clientId] = newFaults == .off ? nil : newFaults
        if !newFaults.reorderWebhooks { releaseHeld(clientId: clientId) }
    }

    /// Decides the fate of one API call: latency, then 429 (drawn first), 500, HTML error page, connection reset,
    /// and for a call that runs, a wrong signature, a missing one, or null data.
    func decideFault(clientId: String) -> (latencyMs: Int, outcome: FaultOutcome) {
        guard let faults = faultsByClient[clientId] else { return (0, .proceed) }
        if faultRandom.chance(faults.rateLimitRate) {
            return (faults.latencyMs, .rateLimited(retryAfterSeconds: faults.retryAfterSeconds, header: faults.rateLimitHeader))
        }
        if faultRandom.chance(faults.errorRate) { return (faults.latencyMs, .serverError) }
        if faultRandom.chance(faults.htmlErrorRate) { return (faults.latencyMs, .htmlError(status: faults.htmlErrorStatus)) }
        if faultRandom.chance(faults.connectionResetRate) { return (faults.latencyMs, .connectionReset) }
        if faultRandom.chance(faults.invalidSignatureRate) { return (faults.latencyMs, .spoiledAnswer(.invalidSignature)) }
        if faultRandom.chance(faults.missingSignatureRate) { return (faults.latencyMs, .spoiledAnswer(.missingSignature)) }
        if faultRandom.chance(faults.nullDataRate) { return (faults.latencyMs, .spoiledAnswer(.nullData)) }
        return (faults.latencyMs, .proceed)
    }

    // MARK: API call log

    /// Records a payOS API call as it arrives, with what the fault middleware did to it. The newest
    /// ``apiCallLogLimit`` are kept, so a long-running dev sandbox does not grow without bound.
    func recordAPICall(clientId: String, method: String, path: String, apiKey: String, outcome: FaultOutcome) {
        let fault: String? = switch outcome {
        case .proceed: nil
        case .serverError: "serverError"
        case .rateLimited: "rateLimited"
        case .htmlError: "htmlError"
        case .connectionReset: "connectionReset"
        case .spoiledAnswer(.invalidSignature): "invalidSignature"
        case .spoiledAnswer(.missingSignature): "missingSignature"
        case .spoiledAnswer(.nullData): "nullData"
        }
        apiCallLog.append(SandboxAPICall(clientId: clientId, method: method, path: path, receivedAt: Date().timeIntervalSince1970, fault: fault,
            apiKeyFingerprint: SandboxAPICall.fingerprint(apiKey: apiKey)))
        if apiCallLog.count > Self.apiCallLogLimit { apiCallLog.removeFirst(apiCallLog.count - Self.apiCallLogLimit) }
    }

    static let apiCallLogLimit = 1_000

    func apiCalls(clientId: String?) -> [SandboxAPICall] {
        guard let clientId else { return apiCallLog }
        return apiCallLog.filter { $0.clientId == clientId }
    }

    // MARK: Payment links

    /// Creates a link, enforcing order-code uniqueness per channel (code 231).
    func createLink(_ request: CreatePaymentLinkRequest, channel: SandboxChannel) throws(PayOSBusinessError) -> SandboxPaymentLink {
        guard linkIDsByOrderCode[channel.clientId]?[request.orderCode] == nil else { throw .orderCodeExists }
        var id: String
        repeat {
            id = Hex.encode(SecureRandom.bytes(count: 16))
        } while links[id] != nil
        let folded = TransferText.asciiFolded(request.description)
        let content = Self.randomContentCode() + (folded.isEmpty ? "" : " " + folded)
        let qrCode: String
        do {
            qrCode = try SandboxVietQR.payload(bin: channel.bin, accountNumber: channel.accountNumber, amount: request.amount, purpose: content)
        } catch {
            throw .invalidInput
        }
        let link = SandboxPaymentLink(
            id: id,
            clientId: channel.clientId,
            orderCode: request.orderCode,
            amount: request.amount,
            description: request.description,
            returnUrl: request.returnUrl,
            cancelUrl: request.cancelUrl,
            expiredAt: request.expiredAt,
            createdAt: now(),
            bin: channel.bin,
            accountNumber: channel.accountNumber,
            accountName: channel.accountName,
            transferContent: content,
            qrCode: qrCode
        )
        links[id] = link
        linkIDsByOrderCode[channel.clientId, default: [:]][request.orderCode] = id
        return link
    }

    /// The link `{id}` names for a payOS API call: an order code of this channel, or one of its payment link ids.
    func link(pathID: String, clientId: String) -> SandboxPaymentLink? {
        if let orderCode = Int64(pathID), let id = linkIDsByOrderCode[clientId]?[orderCode] { return links[id] }
        if let link = links[pathID], link.clientId == clientId { return link }
        return nil
    }

    /// The link with this payment link id, whatever its channel (checkout page).
    func link(id: String) -> SandboxPaymentLink? { links[id] }

    /// Resolves a control-API `{id}`: a payment link id, or an order code (with `clientId` when several channels use it).
    func resolve(controlID id: String, clientId: String?) throws(SandboxControlError) -> SandboxPaymentLink {
        if let link = links[id], clientId == nil || link.clientId == clientId { return link }
        if let orderCode = Int64(id) {
            if let clientId {
                guard channels[clientId] != nil else { throw .channelNotFound(clientId) }
                if let linkID = linkIDsByOrderCode[clientId]?[orderCode], let link = links[linkID] { return link }
            } else {
                let matches = linkIDsByOrderCode.values.compactMap { $0[orderCode] }
                if matches.count > 1 { throw .ambiguousOrderCode(id) }
                if let linkID = matches.first, let link = links[linkID] { return link }
            }
        }
        throw .paymentLinkNotFound(id)
    }

    /// Cancels a link. Cancelling a cancelled link again answers it unchanged (the SDKs retry POSTs); a paid or
    /// expired link cannot be cancelled.
    func cancel(linkID: String, reason: String?) throws(PayOSBusinessError) -> SandboxPaymentLink {
        guard var link = links[linkID] else { throw .notFound }
        let status = link.status(at: now())
        switch status {
        case .cancelled:
            return link
        case .pending, .underpaid:
            link.canceledAt = now()
            link.cancellationReason = reason
            links[linkID] = link
            return link
        case .paid, .expired, .processing, .failed:
            throw .notCancellable(status: status)
        }
    }

    /// Forces a link to `PROCESSING` or `FAILED` (control API); a final link is refused.
    func forceStatus(linkID: String, to status: PaymentLinkStatus) throws(SandboxControlError) -> SandboxPaymentLink {
        guard var link = links[linkID] else { throw .paymentLinkNotFound(linkID) }
        guard status == .processing || status == .failed else { throw .invalidInput("status must be \"PROCESSING\" or \"FAILED\"") }
        let time = now()
        guard !link.isFinal(at: time) else { throw .statusFinal(status: link.status(at: time).rawValue) }
        link.forcedStatus = status
        links[linkID] = link
        return link
    }

    // MARK: Paying

    /// Who pays, as the bank reports the sender.
    struct Payer: Sendable, Hashable {
        var bankId: String? = "970436"
        var bankName: String? = nil
        var name: String? = "NGUYEN VAN A"
        var accountNumber: String? = "0071000123456"
    }

    struct PaymentOutcome: Sendable {
        var link: SandboxPaymentLink
        var transaction: PaymentTransaction
        /// Deliveries recorded for this payment (the original first, then an injected duplicate).
        var deliveryIDs: [Int]
    }

    /// Records a transfer of `amount` (default: what remains) to the link, then queues its webhook, applying the
    /// channel's webhook faults.
    ///
    /// `late` credits a cancelled or expired link too (a transfer that was in flight when the link closed).
    func pay(linkID: String, amount: Int64?, payer: Payer, late: Bool = false) throws(SandboxControlError) -> PaymentOutcome {
        guard var link = links[linkID] else { throw .paymentLinkNotFound(linkID) }
        let time = now()
        let closed = [.cancelled, .expired].contains(link.status(at: time)) && link.amountRemaining > 0
        guard link.isPayable(at: time) || (late && closed) else { throw .notPayable(status: link.status(at: time).rawValue) }
        let remaining = link.amountRemaining
        let amount = amount ?? remaining
        guard (1...remaining).contains(amount) else {
            throw .invalidInput("amount must be between 1 and the remaining \(remaining)")
        }
        let transaction = PaymentTransaction(
            reference: uniqueReference(time: time),
            amount: amount,
            accountNumber: link.accountNumber,
            description: link.transferContent,
            time: time,
            counterAccountBankId: payer.bankId,
            counterAccountBankName: payer.bankName,
            counterAccountName: payer.name,
            counterAccountNumber: payer.accountNumber
        )
        link.transactions.append(transaction)
        links[linkID] = link
        let deliveryIDs = queueWebhook(link: link, transaction: transaction)
        return PaymentOutcome(link: link, transaction: transaction, deliveryIDs: deliveryIDs)
    }

    private func uniqueReference(time: Int64) -> String {
        let prefix = "FT" + VietnamTime.yearAndDayOfYear(time)
        while true {
            let digits = String(UInt64.random(in: 0..<1_000_000_000))
            let reference = prefix + String(repeating: "0", count: 9 - digits.count) + digits
            if references.insert(reference).inserted { return reference }
        }
    }

    /// Ten upper-case letters and digits, like the prefix payOS puts before the description in transfer content.
    private static func randomContentCode() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<10).map { _ in alphabet[Int(SecureRandom.uniform(UInt32(alphabet.count)))] })
    }

    // MARK: Webhooks

    private func queueWebhook(link: SandboxPaymentLink, transaction: PaymentTransaction) -> [Int] {
        guard let channel = channels[link.clientId] else { return [] }
        let body = WebhookEnvelope.body(data: link.webhookData(for: transaction), channel: channel).compactText
        func record(state: WebhookDelivery.State, duplicateOf: Int? = nil) -> Int {
            let id = deliveryLog.count + 1
            deliveryLog.append(
                WebhookDelivery(
                    id: id,
                    clientId: link.clientId,
                    orderCode: link.orderCode,
                    paymentLinkId: link.id,
                    reference: transaction.reference,
                    url: channel.webhookUrl,
                    body: body,
                    duplicateOf: duplicateOf,
                    state: state
                )
            )
            return id
        }
        guard channel.webhookUrl != nil else { return [record(state: .noWebhookURL)] }
        let faults = faultsByClient[link.clientId] ?? .off
        if faultRandom.chance(faults.dropWebhookRate) { return [record(state: .dropped)] }
        let original = record(state: faults.reorderWebhooks ? .held : .pending)
        var ids = [original]
        if faultRandom.chance(faults.duplicateWebhookRate) {
            for _ in 0..<faults.duplicateCopies {
                ids.append(record(state: faults.reorderWebhooks ? .held : .pending, duplicateOf: original))
            }
        }
        if faults.reorderWebhooks {
            held[link.clientId, default: []].append(ids)
            if held[link.clientId, default: []].count >= 2 { releaseHeld(clientId: link.clientId) }
        } else {
            jobs.yield(WebhookJob(deliveryIDs: ids))
        }
        return ids
    }

    /// Sends every held webhook of a channel, newest payment first.
    /// - Returns: how many deliveries were released.
    @discardableResult
    func releaseHeld(clientId: String) -> Int {
        guard let groups = held.removeValue(forKey: clientId), !groups.isEmpty else { return 0 }
        let ids = groups.reversed().flatMap { $0 }
        for id in ids where deliveryLog[id - 1].state == .held { deliveryLog[id - 1].state = .pending }
        jobs.yield(WebhookJob(deliveryIDs: ids))
        return ids.count
    }

    func flushHeld(clientId: String) throws(SandboxControlError) -> Int {
        guard channels[clientId] != nil else { throw .channelNotFound(clientId) }
        return releaseHeld(clientId: clientId)
    }

    func delivery(_ id: Int) -> WebhookDelivery? {
        deliveryLog.indices.contains(id - 1) ? deliveryLog[id - 1] : nil
    }

    func deliveries(clientId: String?) -> [WebhookDelivery] {
        guard let clientId else { return deliveryLog }
        return deliveryLog.filter { $0.clientId == clientId }
    }

    func recordAttempt(_ attempt: WebhookDelivery.Attempt, deliveryID: Int) {
        deliveryLog[deliveryID - 1].attempts.append(attempt)
    }

    func finish(deliveryID: Int, state: WebhookDelivery.State) {
        deliveryLog[deliveryID - 1].state = state
    }
}

/// A unit of dispatcher work: deliveries sent one after another, in this order.
struct WebhookJob: Sendable {
    var deliveryIDs: [Int]
}
