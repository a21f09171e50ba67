// Copyright (c) the Gatehouse authors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as its bytes (4 or 16); IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) become IPv4,
/// so one client has one key whichever way the socket reports it.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Parses a textual address (`203.0.113.7`, `2001:db8::1`, `[2001:db8::1]`); `nil` when it is not one.
    public init?(_ text: some StringProtocol) {
        var text = trimmed(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        // A zone (fe80::1%eth0) does not identify a client beyond the address.
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            self.bytes = Array(bytes[12..<16])
        } else {
            self.bytes = bytes
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// The canonical text (`inet_ntop`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        var storage = bytes
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = storage.withUnsafeMutableBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `text` without leading and trailing spaces and tabs.
private func trimmed(_ text: some StringProtocol) -> String {
    var slice = Substring(text)
    while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
    while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
    return String(slice)
}

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`, or a single address).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// - Returns: `nil` when `text` is not an address with an optional `/prefix` within the family's length.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length) else { return nil }
            self.prefixLength = length
        } else {
            self.prefixLength = maximum
        }
        self.address = address
    }

    public func contains(_ other: IPAddress) -> Bool {
        guard other.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        for (mine, theirs) in zip(address.bytes, other.bytes) {
            guard remaining > 0 else { return true }
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xff : ~(0xff >> UInt8(bits))
            guard mine & mask == theirs & mask else { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// The reverse proxies whose `X-Forwarded-For` / `X-Real-IP` Gatehouse believes (`GATEHOUSE_TRUSTED_PROXIES`).
///
/// Without any, the client is the socket's peer and those headers are ignored: anyone can send them, so
/// believing them from an untrusted peer would let a client pick its own per-IP bucket (and its own address
/// in the logs).
public struct TrustedProxies: Sendable, Hashable {
    public let networks: [IPNetwork]

    public init(_ networks: [IPNetwork] = []) {
        self.networks = networks
    }

    /// Parses a comma-separated CIDR list; `nil` when an entry is not a network (the caller names the variable).
    public init?(parsing list: String) {
        var networks: [IPNetwork] = []
        for entry in list.split(separator: ",") {
            let entry = trimmed(entry)
            guard !entry.isEmpty else { continue }
            guard let network = IPNetwork(entry) else { return nil }
            networks.append(network)
        }
        self.networks = networks
    }

    public var isEmpty: Bool { networks.isEmpty }

    public func trusts(_ address: IPAddress) -> Bool { networks.contains { $0.contains(address) } }

    /// The client's address.
    ///
    /// - The peer is not a trusted proxy (or none is configured): the peer.
    /// - Otherwise `X-Forwarded-For` is read from the right (each proxy appends the address it received from),
    ///   skipping trusted proxies; the first untrusted address is the client. Entries left of it were written by
    ///   the client itself and are never believed. When every entry is a trusted proxy, the leftmost is used.
    /// - Without `X-Forwarded-For`, a trusted peer's `X-Real-IP` is used.
    /// - A malformed entry stops the walk: the last address known good is the answer (a proxy never writes garbage,
    ///   so garbage came from further left).
    ///
    /// - Parameters:
    ///   - peer: the socket peer's address.
    ///   - forwardedFor: every `X-Forwarded-For` field value, in order.
    ///   - realIP: the `X-Real-IP` value.
    public func clientAddress(peer: IPAddress?, forwardedFor: [String], realIP: String?) -> IPAddress? {
        guard let peer, !networks.isEmpty, trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
        if hops.isEmpty {
            return realIP.flatMap { IPAddress($0) } ?? peer
        }
        var lastGood = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(Self.strippingPort(hop)) else { return lastGood }
            guard trusts(address) else { return address }
            lastGood = address
        }
        return lastGood
    }

    /// `1.2.3.4:5678` → `1.2.3.4`, `[2001:db8::1]:443` → `2001:db8::1`; anything else unchanged.
    static func strippingPort(_ hop: Substring) -> Substring {
        let hop = hop.drop { $0 == " " || $0 == "\t" }
        if hop.hasPrefix("["), let close = hop.firstIndex(of: "]") {
            return hop[hop.index(after: hop.startIndex)..<close]
        }
        if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") {
            return hop[..<colon]
        }
        return hop
    }
}
