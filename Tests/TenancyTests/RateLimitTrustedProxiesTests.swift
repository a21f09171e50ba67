// Copyright (c) the Gatehouse authors
import Testing

@testable import Tenancy

/// The client address behind reverse proxies: forwarded headers are believed only from configured proxies.
@Suite struct RateLimitTrustedProxiesTests {
    let proxies = TrustedProxies(parsing: "10.0.0.0/8, 192.168.1.1, fd00::/8")!

    func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test func addressesAndNetworksParseCanonicallyAndRefuseGarbage() {
        #expect(IPAddress("203.0.113.7")?.description == "203.0.113.7")
        #expect(IPAddress("::ffff:203.0.113.7")?.description == "203.0.113.7")
        #expect(IPAddress("[2001:DB8::1]")?.description == "2001:db8::1")
        #expect(IPAddress("fe80::1%eth0")?.description == "fe80::1")
        #expect(IPAddress("203.0.113") == nil)
        #expect(IPAddress("evil.example") == nil)
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("2001:db8::/129") == nil)
        #expect(TrustedProxies(parsing: "10.0.0.0/8,nonsense") == nil)
        #expect(TrustedProxies(parsing: "")?.isEmpty == true)
    }

    @Test func networksContainExactlyTheirPrefix() {
        let net = IPNetwork("172.16.0.0/12")!
        #expect(net.contains(ip("172.31.255.255")))
        #expect(!net.contains(ip("172.32.0.0")))
        #expect(!net.contains(ip("::1")))
        #expect(IPNetwork("2001:db8::/33")!.contains(ip("2001:db8:7fff::1")))
        #expect(!IPNetwork("2001:db8::/33")!.contains(ip("2001:db8:8000::1")))
        #expect(IPNetwork("0.0.0.0/0")!.contains(ip("198.51.100.1")))
    }

    @Test func withoutTrustedProxiesTheHeadersAreIgnored() {
        let none = TrustedProxies()
        #expect(none.clientAddress(peer: ip("10.1.2.3"), forwardedFor: ["198.51.100.1"], realIP: "198.51.100.2") == ip("10.1.2.3"))
    }

    @Test func anUntrustedPeerCannotChooseItsAddress() {
        #expect(proxies.clientAddress(peer: ip("203.0.113.5"), forwardedFor: ["198.51.100.1"], realIP: "198.51.100.2") == ip("203.0.113.5"))
    }

    @Test func theRightmostUntrustedHopIsTheClient() {
        // The client forged "1.1.1.1"; nginx (10.0.0.2) appended the real peer 198.51.100.7, an inner proxy 10.0.0.3 its peer.
        let client = proxies.clientAddress(
            peer: ip("10.0.0.3"), forwardedFor: ["1.1.1.1, 198.51.100.7", "10.0.0.2"], realIP: "9.9.9.9")
        #expect(client == ip("198.51.100.7"))
    }

    @Test func realIPIsUsedOnlyWithoutForwardedFor() {
        #expect(proxies.clientAddress(peer: ip("192.168.1.1"), forwardedFor: [], realIP: "198.51.100.9") == ip("198.51.100.9"))
        #expect(proxies.clientAddress(peer: ip("192.168.1.1"), forwardedFor: [], realIP: "garbage") == ip("192.168.1.1"))
    }

    @Test func malformedOrAllTrustedChainsFallBackToTheLastGoodHop() {
        #expect(proxies.clientAddress(peer: ip("10.0.0.1"), forwardedFor: ["<script>, 10.0.0.9"], realIP: nil) == ip("10.0.0.9"))
        #expect(proxies.clientAddress(peer: ip("10.0.0.1"), forwardedFor: ["10.0.0.8, 10.0.0.9"], realIP: nil) == ip("10.0.0.8"))
        #expect(proxies.clientAddress(peer: ip("fd00::1"), forwardedFor: ["[2001:db8::5]:4711"], realIP: nil) == ip("2001:db8::5"))
        #expect(proxies.clientAddress(peer: ip("10.0.0.1"), forwardedFor: ["198.51.100.3:555"], realIP: nil) == ip("198.51.100.3"))
    }
}
