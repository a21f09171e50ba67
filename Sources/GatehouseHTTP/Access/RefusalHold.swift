// Copyright (c) the Gatehouse authors
import Synchronization

/// Holds the refusal of a client that already used up its failure budget for a moment before it is answered: a tarpit.
///
/// A refused request is cheap (429 before its credential or body is looked at), but a client that posts on keep-alive
/// connections as fast as it is answered still makes thousands of them a second, and on a small machine that HTTP work
/// alone takes CPU from everyone else's requests (measured: a 16-connection forged-webhook flood doubled another owner's
/// payment-link p99). An HTTP/1.1 connection carries one request at a time, so answering each refusal after
/// `min(delay, Retry-After)` caps such a client at about one request per connection per `delay`, for the price of one
/// timer per held request. A well-behaved client loses nothing: the `Retry-After` it is told to honour is at least as
/// long as the hold.
///
/// The holds are bounded: beyond `capacity` requests held at once (a flood over very many connections), a refusal is
/// answered at once, so the tarpit itself can never pile up tasks and sockets without limit. The connections stay
/// subject to the server's idle and request-head timeouts as any other.
public final class RefusalHold: Sendable {
    /// One second: long enough to turn a keep-alive flood into a trickle, short against the `Retry-After` of the budgets
    /// it holds for (failed authentications refill one per 6 s).
    public static let defaultDelay = Duration.seconds(1)
    /// Requests held at once, at most.
    public static let defaultCapacity = 4_096

    public let delay: Duration
    public let capacity: Int
    private let held = Atomic<Int>(0)
    private let sleep: @Sendable (Duration) async -> Void

    /// - Parameters:
    ///   - delay: the longest a refusal is held (`.zero` turns the hold off).
    ///   - sleep: how a hold waits (tests pass a gate they release themselves).
    public init(
        delay: Duration = defaultDelay, capacity: Int = defaultCapacity,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) {
        self.delay = max(.zero, delay)
        self.capacity = max(0, capacity)
        self.sleep = sleep
    }

    /// Waits `min(delay, retryAfterSeconds)` before the caller answers its refusal, unless `capacity` refusals are
    /// already held (then it returns at once). Returns whether it held.
    @discardableResult
    public func hold(retryAfterSeconds: Int) async -> Bool {
        let wait = min(delay, .seconds(max(0, retryAfterSeconds)))
        guard wait > .zero else { return false }
        let count = held.add(1, ordering: .relaxed).newValue
        defer { held.subtract(1, ordering: .relaxed) }
        guard count <= capacity else { return false }
        await sleep(wait)
        return true
    }

    /// Refusals held right now.
    public var heldNow: Int { held.load(ordering: .relaxed) }
}
