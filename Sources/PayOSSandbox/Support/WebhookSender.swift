// Copyright (c) the Gatehouse authors
public import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An absolute http(s) URL a webhook can be POSTed to.
struct WebhookURL: Sendable, Hashable {
    let text: String
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        self.text = text
        self.host = host
        self.port = url.port ?? (scheme == "https" ? 443 : 80)
    }
}

/// POSTs webhook JSON and reports failures the way payOS does: payOS's backend is Node with axios (spec 8.4),
/// and merchants see axios error texts such as "Request failed with status code 404" in confirm-webhook answers.
struct WebhookSender: Sendable {
    let httpClient: HTTPClient
    let timeout: Duration

    struct Outcome: Sendable, Hashable {
        /// HTTP status, when an answer arrived.
        var status: Int?
        /// nil when the answer was 2xx; otherwise the axios-style error text.
        var error: String?
        var succeeded: Bool { error == nil }
    }

    func post(_ body: [UInt8], to url: WebhookURL) async -> Outcome {
        var request = HTTPClientRequest(url: url.text)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Gatehouse-PayOS-Sandbox")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Self.nanoseconds(timeout)))
            // Drain (bounded) so the connection can be reused; the merchant's answer body is irrelevant.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                return Outcome(status: status, error: "Request failed with status code \(status)")
            }
            return Outcome(status: status, error: nil)
        } catch {
            return Outcome(status: nil, error: axiosText(for: error, url: url))
        }
    }

    private func axiosText(for error: any Error, url: WebhookURL) -> String {
        if let error = error as? HTTPClientError,
            error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout
        {
            return "timeout of \(Self.nanoseconds(timeout) / 1_000_000)ms exceeded"
        }
        if error is CancellationError || (error as? HTTPClientError) == .cancelled { return "canceled" }
        let text = String(describing: error).lowercased()
        if text.contains("refused") { return "connect ECONNREFUSED \(url.host):\(url.port)" }
        if text.contains("timeout") || text.contains("timed out") { return "timeout of \(Self.nanoseconds(timeout) / 1_000_000)ms exceeded" }
        if text.contains("resolv") || text.contains("lookup") || text.contains("nodename") { return "getaddrinfo ENOTFOUND \(url.host)" }
        if text.contains("reset") { return "read ECONNRESET" }
        return "Network Error"
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension PayOSSandbox {
    /// The process-wide client webhooks and confirm-webhook probes use by default. Like `HTTPClient.shared` it lives
    /// as long as the process and is never shut down; unlike it, a refused connection fails at once
    /// (`retryConnectionEstablishment = false`) — AsyncHTTPClient otherwise keeps reconnecting until the deadline,
    /// which would turn "connect ECONNREFUSED" into a slow timeout.
    public static let webhookHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
