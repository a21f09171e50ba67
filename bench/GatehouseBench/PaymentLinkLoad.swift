// Copyright (c) the Gatehouse authors
import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatehouseApp
import GatehouseCore
import Logging
import NIOCore
import NIOHTTP1
import PayOSSandbox
import Storage
import Tenancy

/// An owner's integration creating payment links as the API does: `POST /payment/process_payment` with its API key
/// (`Authorization: Bearer`), one booking from a pre-made pool per request (a booking with a live link would get that
/// link back instead of a new one).
struct PaymentLinkLoad: Sendable {
    let client: HTTPClient
    let url: String
    let apiKey: String
    /// Sent as `X-Forwarded-For` (with `GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32`), so the owner has an address of its own.
    let forwardedFor: String?
    let bookings: WorkQueue<Int64>

    /// An owner with the channel's credentials and an API key, and `bookings` pending bookings to create links for.
    static func prepare(
        components: GatehouseComponents, owner: Owner, bookings count: Int, logger: Logger
    ) async throws -> (apiKey: String, bookings: [Int64]) {
        let key = try await components.apiKeys.issue(owner: owner.id, name: "bench", logger: logger)
        let started = ContinuousClock.now
        let bookings = try await insertBookings(database: components.database, owner: owner.id, count: count, now: components.clock.now(), logger: logger)
        note("inserted \(bookings.count) bookings in \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s")
        return (key.secret, bookings)
    }

    /// Creates one link; `nil` when the pool of bookings is used up. Anything but 201 fails the run.
    func create() async throws -> Duration? {
        guard let booking = bookings.take() else { return nil }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        if let forwardedFor { request.headers.add(name: "X-Forwarded-For", value: forwardedFor) }
        request.body = .bytes(ByteBuffer(string: #"{"booking_id":\#(booking)}"#))
        let clock = ContinuousClock()
        let sent = clock.now
        let response = try await client.execute(request, timeout: .seconds(60))
        let answer = try await response.body.collect(upTo: 64 * 1024)
        let latency = clock.now - sent
        guard response.status == .created else {
            throw ValidationError("process_payment answered \(response.status.code): \(String(buffer: answer))")
        }
        return latency
    }

    /// `--seconds` of creates on `connections` connections; says so when the bookings ran out first.
    func run(seconds: Double, connections: Int, label: String) async throws -> LatencySummary {
        let summary = try await timedLoop(duration: .milliseconds(Int64(seconds * 1_000)), concurrency: connections) { _ in try await create() }
        if summary.elapsed.seconds < seconds * 0.95 {
            note("\(label): the bookings ran out after \(String(format: "%.1f", summary.elapsed.seconds)) s (raise --bookings)")
        }
        return summary
    }
}
