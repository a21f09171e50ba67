// Copyright (c) the Gatehouse authors
public import AsyncHTTPClient
public import Logging
import NIOCore
import NIOHTTP1
import Sodium
import GatehouseCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A payOS merchant-API client (spec 2) over AsyncHTTPClient.
///
/// One client serves every property owner: credentials are passed per call. Answers are handled by
/// ``PayOSResponseDecoder`` (fail closed: bad or missing signatures, missing or mistyped keys and non-"00" codes are errors; keys payOS adds are signed and ignored);
/// transient failures are retried per ``PayOSRetryPolicy``.
///
/// ## Ownership of the HTTP client
/// The client never shuts an `HTTPClient` down. Either pass the application's own, made with
/// ``recommendedHTTPClientConfiguration()`` and shut down by the application after the last call (e.g. in a
/// service that ends after the gateway), or use the default ``sharedHTTPClient``, a process-wide client that,
/// like `HTTPClient.shared`, lives for the whole process and is never shut down.
public struct PayOSClient: Sendable {
    /// Version in the default `User-Agent`.
    public static let version = "0.1.0"

    /// Client settings; every default is the documented payOS behaviour or a conservative choice.
    public struct Configuration: Sendable, Hashable {
        /// Base URL without a trailing path; endpoint paths are appended (`/v2/payment-requests`, …).
        public var baseURL: String
        /// Deadline for one attempt (connect, send, complete answer). The official SDKs use 60 s; a gateway with a
        /// renter waiting prefers 15 s. Worst case for one call: 3 × timeout plus the retry waits.
        public var requestTimeout: Duration
        public var retryPolicy: PayOSRetryPolicy
        /// `User-Agent` header.
        public var userAgent: String
        /// Prefix of the hosted checkout page, used only to rebuild `checkoutUrl` for a recovered create
        /// (a `GET` does not return it); payOS's own Sapo plug-in builds it the same way. Point it at a sandbox's
        /// `<base>/web/` when ``baseURL`` is one: the link exists only there.
        public var checkoutURLPrefix: String
        /// Larger answers are refused (`invalidResponse`); a payment link with many transactions is a few kB.
        public var maximumResponseBytes: Int

        public init(
            baseURL: String = "https://api-merchant.payos.vn",
            requestTimeout: Duration = .seconds(15),
            retryPolicy: PayOSRetryPolicy = PayOSRetryPolicy(),
            userAgent: String = "Gatehouse/\(PayOSClient.version)",
            checkoutURLPrefix: String = "https://pay.payos.vn/web/",
            maximumResponseBytes: Int = 1 << 20
        ) {
            self.baseURL = baseURL
            self.requestTimeout = requestTimeout
            self.retryPolicy = retryPolicy
            self.userAgent = userAgent
            self.checkoutURLPrefix = checkoutURLPrefix
            self.maximumResponseBytes = maximumResponseBytes
        }
    }

    public let configuration: Configuration
    private let httpClient: HTTPClient

    /// The caller's deadline for PayOS calls made in this task: a retry whose wait would end after it is not
    /// waited for; the call fails at once with the error that asked for the wait (for a 429, `rateLimited`
    /// carrying it). `nil` (the default): only ``PayOSRetryPolicy`` bounds the waits.
    ///
    /// A task-local rather than a parameter: the budget belongs to the request at the HTTP edge, several layers
    /// above this client, and flows down to every call made for it — as cancellation does — without each layer
    /// passing it on. Set it with `PayOSClient.$deadline.withValue(.now + .seconds(20)) { … }`.
    @TaskLocal public static var deadline: ContinuousClock.Instant?

    /// The `HTTPClient` settings payOS calls need:
    /// * redirects disallowed: payOS does not redirect, and a followed redirect would carry the API key elsewhere;
    /// * no silent reconnect loop: by default AsyncHTTPClient keeps re-trying a refused connection until the
    ///   request deadline, which would turn "payOS is down" into a 15 s hang per attempt; ``PayOSRetryPolicy``
    ///   retries instead, visibly and with backoff.
    public static func recommendedHTTPClientConfiguration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10))
        return configuration
    }

    /// A process-wide `HTTPClient` with ``recommendedHTTPClientConfiguration()``, created on first use and never
    /// shut down (the static lives as long as the process, as `HTTPClient.shared` does).
    public static let sharedHTTPClient = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: recommendedHTTPClientConfiguration()
    )

    /// - Parameters:
    ///   - httpClient: The HTTP client to use; not owned (see "Ownership of the HTTP client").
    ///   - configuration: Base URL, timeout, retries.
    public init(httpClient: HTTPClient = PayOSClient.sharedHTTPClient, configuration: Configuration = Configuration()) {
        self.httpClient = httpClient
        self.configuration = configuration
    }

    // MARK: Operations

    /// `POST /v2/payment-requests`: creates a payment link.
    ///
    /// The request is validated first (``CreatePaymentLinkRequest/validate()`` → `invalidRequest`) and signed
    /// with the credentials' checksum key. The answer must echo the order code and amount.
    ///
    /// Retrying a create is safe: if an earlier attempt (of this call or of a crashed process) did create the
    /// link, payOS answers code `231`; the link is then fetched and returned as recovered when its amount is
    /// the requested one and it is still usable (not cancelled, expired or failed). Otherwise the `231`
    /// ``PayOSError`` is thrown.
    ///
    /// The adopted link is kept, not cancelled and made again: the renter may already be on its checkout page, and a
    /// cancel plus a new create would cost two more payOS calls and leave a window in which the cancelled link gets
    /// paid. payOS's lookup returns no QR or bank details, so the result has none; its checkout page shows them.
    public func createPaymentLink(
        _ request: CreatePaymentLinkRequest,
        credentials: PayOSCredentials,
        logger: Logger? = nil
    ) async throws -> CreatePaymentLinkResult {
        let logger = logger ?? Self.disabledLogger
        do {
            try request.validate()
        } catch {
            throw PayOSError(.invalidRequest, schemaError: error)
        }
        let body = request.signed(checksumKey: credentials.checksumKey).toJSON()
        do {
            let (response, _) = try await execute(
                operation: "createPaymentLink",
                method: .POST,
                path: "/v2/payment-requests",
                body: body,
                credentials: credentials,
                logger: logger
            ) { response throws(PayOSError) in
                try PayOSResponseDecoder.decode(
                    response,
                    as: CreatePaymentLinkResponse.self,
                    signature: .body(checksumKey: credentials.checksumKey)
                )
            }
            guard response.orderCode == request.orderCode, response.amount == request.amount else {
                throw PayOSError(.invalidResponse, httpStatus: 200, detail: "create answer does not echo orderCode/amount")
            }
            return CreatePaymentLinkResult(created: response)
        } catch let error as PayOSError where error.isBusiness(PayOSError.BusinessCode.orderCodeExists) {
            let link: PaymentLink
            do {
                link = try await getPaymentLink(.orderCode(request.orderCode), credentials: credentials, logger: logger)
            } catch let lookup as PayOSError where lookup.code == .business {
                // payOS says the order code is used but cannot show the link: report the original 231.
                throw error
            }
            guard let recovered = CreatePaymentLinkResult(recovering: link, for: request, checkoutURLPrefix: configuration.checkoutURLPrefix) else {
                logger.debug("payOS order code already used by another link", metadata: ["payos.order_code": "\(request.orderCode)"])
                throw error
            }
            logger.debug("payOS create recovered after code 231", metadata: ["payos.order_code": "\(request.orderCode)"])
            return recovered
        }
    }

    /// `GET /v2/payment-requests/{orderCode}`.
    public func getPaymentLink(orderCode: Int64, credentials: PayOSCredentials, logger: Logger? = nil) async throws -> PaymentLink {
        try await getPaymentLink(.orderCode(orderCode), credentials: credentials, logger: logger)
    }

    /// `GET /v2/payment-requests/{paymentLinkId}`.
    public func getPaymentLink(paymentLinkId: String, credentials: PayOSCredentials, logger: Logger? = nil) async throws -> PaymentLink {
        try await getPaymentLink(.paymentLinkId(paymentLinkId), credentials: credentials, logger: logger)
    }

    /// `GET /v2/payment-requests/{id}`; an unknown link is `business` code `101`.
    public func getPaymentLink(_ link: PaymentLinkReference, credentials: PayOSCredentials, logger: Logger? = nil) async throws -> PaymentLink {
        let path = "/v2/payment-requests/\(try link.pathSegment())"
        return try await execute(
            operation: "getPaymentLink",
            method: .GET,
            path: path,
            body: nil,
            credentials: credentials,
            logger: logger ?? Self.disabledLogger
        ) { response throws(PayOSError) in
            try Self.decodePaymentLink(response, about: link, credentials: credentials)
        }.value
    }

    /// A signed payment link from `response`, refused when it is about another link than `link`: a signed answer
    /// about another link must not be applied to this one (a payment would be settled on its evidence).
    private static func decodePaymentLink(
        _ response: PayOSHTTPResponse,
        about link: PaymentLinkReference,
        credentials: PayOSCredentials
    ) throws(PayOSError) -> PaymentLink {
        let decoded = try PayOSResponseDecoder.decode(response, as: PaymentLink.self, signature: .body(checksumKey: credentials.checksumKey))
        guard link.matches(decoded) else {
            throw PayOSError(.invalidResponse, httpStatus: 200, detail: "payOS answered about another payment link")
        }
        return decoded
    }

    /// `POST /v2/payment-requests/{id}/cancel` with `{"cancellationReason": …}` (or `{}`).
    ///
    /// Retried like the other calls. When a retry (after a lost answer) gets a business error, the link is
    /// fetched and returned if it is cancelled, since the earlier attempt evidently succeeded.
    public func cancelPaymentLink(
        _ link: PaymentLinkReference,
        reason: String? = nil,
        credentials: PayOSCredentials,
        logger: Logger? = nil
    ) async throws -> PaymentLink {
        let logger = logger ?? Self.disabledLogger
        let path = "/v2/payment-requests/\(try link.pathSegment())/cancel"
        var attempts = 1
        do {
            return try await execute(
                operation: "cancelPaymentLink",
                method: .POST,
                path: path,
                body: CancelPaymentLinkRequest(cancellationReason: reason).toJSON(),
                credentials: credentials,
                logger: logger,
                attemptsSoFar: { attempts = $0 }
            ) { response throws(PayOSError) in
                try Self.decodePaymentLink(response, about: link, credentials: credentials)
            }.value
        } catch let error as PayOSError where error.code == .business && attempts > 1 {
            let current = try await getPaymentLink(link, credentials: credentials, logger: logger)
            guard current.status == .cancelled else { throw error }
            return current
        }
    }

    /// `POST /confirm-webhook`: asks payOS to probe and register `url`. The answer is not signed (as in every SDK);
    /// payOS's probe failure is `business` code `20` ("Webhook url invalid").
    public func confirmWebhook(url: String, credentials: PayOSCredentials, logger: Logger? = nil) async throws -> ConfirmWebhookResponse {
        guard !url.isEmpty else { throw PayOSError(.invalidRequest, schemaError: PayOSSchemaError(.missingKey, path: "webhookUrl")) }
        return try await execute(
            operation: "confirmWebhook",
            method: .POST,
            path: "/confirm-webhook",
            body: ConfirmWebhookRequest(webhookUrl: url).toJSON(),
            credentials: credentials,
            logger: logger ?? Self.disabledLogger
        ) { response throws(PayOSError) in
            try PayOSResponseDecoder.decode(response, as: ConfirmWebhookResponse.self, signature: .none)
        }.value
    }

    // MARK: Transport

    /// Library code does not bootstrap logging; without a caller's logger nothing is logged.
    private static let disabledLogger = Logger(label: "payos.client.disabled", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs one operation with retries: each attempt is sent, then decoded by `decode`; transient
    /// ``PayOSError``s (from the transport or the decoder) are retried per the policy.
    private func execute<Value>(
        operation: String,
        method: HTTPMethod,
        path: String,
        body: JSONObject?,
        credentials: PayOSCredentials,
        logger: Logger,
        attemptsSoFar: (Int) -> Void = { _ in },
        decode: (PayOSHTTPResponse) throws(PayOSError) -> Value
    ) async throws -> (value: Value, attempts: Int) {
        let request = try makeRequest(method: method, path: path, body: body, credentials: credentials)
        let policy = configuration.retryPolicy
        var attempt = 1
        while true {
            attemptsSoFar(attempt)
            let started = ContinuousClock.now
            let outcome: Result<Value, PayOSError>
            var status: Int?
            do {
                let response = try await send(request)
                status = response.status
                outcome = Result(catching: { () throws(PayOSError) in try decode(response) })
            } catch let error as PayOSError {
                outcome = .failure(error)
            }
            let latency = ContinuousClock.now - started
            var metadata: Logger.Metadata = [
                "payos.operation": "\(operation)",
                "payos.attempt": "\(attempt)",
                "payos.latency_ms": "\(latency.wholeMilliseconds)",
            ]
            if let status { metadata["http.status"] = "\(status)" }
            switch outcome {
            case .success(let value):
                logger.debug("payOS call succeeded", metadata: metadata)
                return (value, attempt)
            case .failure(let error):
                metadata["payos.error"] = "\(error.code)"
                if let code = error.businessCode { metadata["payos.code"] = "\(code)" }
                if error.code == .invalidSignature {
                    logger.warning("payOS answer failed signature verification", metadata: metadata)
                }
                guard let delay = policy.delay(beforeRetry: attempt - 1, after: error, jitter: Double.random(in: 0..<1)) else {
                    logger.debug("payOS call failed", metadata: metadata)
                    throw error
                }
                metadata["payos.retry_in_ms"] = "\(delay.wholeMilliseconds)"
                if let deadline = Self.deadline, ContinuousClock.now + delay > deadline {
                    logger.debug("payOS call failed; its retry would end after the caller's deadline", metadata: metadata)
                    throw error
                }
                logger.debug("payOS call failed, retrying", metadata: metadata)
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    private func makeRequest(method: HTTPMethod, path: String, body: JSONObject?, credentials: PayOSCredentials) throws(PayOSError)
        -> HTTPClientRequest
    {
        // Header values with control characters would be refused by NIO or split a header: refuse them here, clearly.
        if credentials.clientId.isEmpty || credentials.clientId.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw PayOSError(.invalidRequest, schemaError: PayOSSchemaError(.invalidValue, path: "credentials.clientId"))
        }
        if credentials.apiKey.isEmptyOrHasControlCharacters {
            throw PayOSError(.invalidRequest, schemaError: PayOSSchemaError(.invalidValue, path: "credentials.apiKey"))
        }
        guard credentials.checksumKey.count > 0 else {
            throw PayOSError(.invalidRequest, schemaError: PayOSSchemaError(.missingKey, path: "credentials.checksumKey"))
        }
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "x-client-id", value: credentials.clientId)
        // The one place the API key leaves guarded memory: it must travel as header bytes of this request, so the
        // header value is made here, at the last moment, and lives only as long as the request.
        request.headers.add(name: "x-api-key", value: credentials.apiKey.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        if let body {
            request.body = .bytes(ByteBuffer(bytes: JSONValue.object(body).compactBytes))
        }
        return request
    }

    /// One HTTP exchange; transport failures become `timeout` or `unreachable`, cancellation stays `CancellationError`.
    private func send(_ request: HTTPClientRequest) async throws -> PayOSHTTPResponse {
        do {
            let response = try await httpClient.execute(request, timeout: TimeAmount(configuration.requestTimeout))
            let buffer: ByteBuffer
            do {
                buffer = try await response.body.collect(upTo: configuration.maximumResponseBytes)
            } catch is NIOTooManyBytesError {
                throw PayOSError(.invalidResponse, httpStatus: Int(response.status.code), detail: "answer larger than the configured maximum")
            }
            return PayOSHTTPResponse(
                status: Int(response.status.code),
                headers: response.headers.map { PayOSHTTPHeader($0.name, $0.value) },
                body: Array(buffer.readableBytesView)
            )
        } catch let error as PayOSError {
            throw error
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            if let httpError = error as? HTTPClientError,
                [HTTPClientError.deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout].contains(httpError)
            {
                throw PayOSError(.timeout, detail: String(describing: httpError))
            }
            throw PayOSError(.unreachable, detail: String(reflecting: error))
        }
    }
}

/// Which payment link: payOS accepts the merchant order code or its own paymentLinkId in the path.
public enum PaymentLinkReference: Sendable, Hashable {
    case orderCode(Int64)
    case paymentLinkId(String)

    /// Whether `link` is the one this reference names.
    func matches(_ link: PaymentLink) -> Bool {
        switch self {
        case .orderCode(let code): link.orderCode == code
        case .paymentLinkId(let id): link.id == id
        }
    }

    /// The path segment; a paymentLinkId must be URL-safe (`A–Z a–z 0–9 - _`), so it cannot alter the path.
    func pathSegment() throws(PayOSError) -> String {
        switch self {
        case .orderCode(let code):
            guard (1...CreatePaymentLinkRequest.maximumOrderCode).contains(code) else {
                throw PayOSError(.invalidRequest, schemaError: PayOSSchemaError(.outOfRange, path: "orderCode"))
            }
            return String(code)
        case .paymentLinkId(let id):
            let allowed = id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "_"):
                    return true
                default:
                    return false
                }
            }
            guard !id.isEmpty, id.utf8.count <= 128, allowed else {
                throw PayOSError(.invalidRequest, schemaError: PayOSSchemaError(.invalidValue, path: "paymentLinkId"))
            }
            return id
        }
    }
}

/// What ``PayOSClient/createPaymentLink(_:credentials:logger:)`` returns: a link created now, or one an earlier
/// attempt created (recovered after payOS code `231`).
public struct CreatePaymentLinkResult: Sendable, Hashable {
    public let paymentLinkId: String
    public let orderCode: Int64
    public let amount: Int64
    public let status: PaymentLinkStatus
    /// The hosted checkout page (rebuilt from the configured prefix when recovered).
    public let checkoutUrl: String
    /// The full create answer, when this call created the link.
    public let created: CreatePaymentLinkResponse?
    /// The fetched link, when recovered.
    public let recoveredLink: PaymentLink?

    /// Whether the link was recovered after code `231` rather than created by this call.
    public var isRecovered: Bool { recoveredLink != nil }
    /// The VietQR payload; only a create answer carries it (`nil` when recovered).
    public var qrCode: String? { created?.qrCode }

    /// A result for a link created by this call.
    public init(created: CreatePaymentLinkResponse) {
        self.paymentLinkId = created.paymentLinkId
        self.orderCode = created.orderCode
        self.amount = created.amount
        self.status = created.status
        self.checkoutUrl = created.checkoutUrl
        self.created = created
        self.recoveredLink = nil
    }

    /// A recovered result, or `nil` when `link` cannot be the one `request` created: another amount, or a link
    /// that is no longer usable (cancelled, expired, failed).
    public init?(recovering link: PaymentLink, for request: CreatePaymentLinkRequest, checkoutURLPrefix: String) {
        guard link.orderCode == request.orderCode, link.amount == request.amount,
            ![.cancelled, .expired, .failed].contains(link.status)
        else { return nil }
        self.paymentLinkId = link.id
        self.orderCode = link.orderCode
        self.amount = link.amount
        self.status = link.status
        self.checkoutUrl = checkoutURLPrefix + link.id
        self.created = nil
        self.recoveredLink = link
    }
}

