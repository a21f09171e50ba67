// Copyright (c) the Gatehouse authors
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore
import PropertyBased
import Tenancy
import Testing

@testable import GatehouseHTTP
@testable import Payments

/// Properties of the parsers that read credentials from a request: the `Authorization: Bearer` token, the shape of
/// owner API keys and admin tokens, and the renter token from `?t=` or the payment's cookie.
@Suite struct TokenParsingProperties {
    static let base32 = Array("abcdefghijkmnpqrstuvwxyz23456789")
    static let base32Text = Gen.element(of: base32).compactMap { $0 }
    static let pieces = ["a", "_", " ", "\t", ";", "=", "&", "%", "gh", "gha", "Bearer", "😀", "e\u{301}", "ễ", "_x", "\u{7F}"]
    static let junk = Gen.element(of: pieces).compactMap { $0 }.array(of: 0...16).map { $0.joined() }

    static func request(authorization: String? = nil, cookie: String? = nil, query: String = "") -> Request {
        var headers = HTTPFields()
        if let authorization { headers[.authorization] = authorization }
        if let cookie { headers[.cookie] = cookie }
        return Request(
            head: HTTPRequest(method: .get, scheme: "https", authority: "gatehouse.example", path: "/payment/7?" + query, headerFields: headers),
            body: RequestBody(buffer: ByteBuffer())
        )
    }

    @Test func aBearerHeaderGivesItsTokenBackTrimmedAndAnyOtherSchemeNone() async {
        await propertyCheck(input: Self.base32Text.string(of: 1...60), Gen.element(of: ["Bearer", "bearer", "BEARER"]).compactMap { $0 }, Gen.element(of: ["", " ", "  "]).compactMap { $0 }) { token, scheme, space in
            #expect(Self.request(authorization: "\(scheme) \(space)\(token)\(space)").bearerToken == token)
            #expect(Self.request(authorization: "Basic \(token)").bearerToken == nil)
            #expect(Self.request(authorization: "\(scheme) ").bearerToken == nil)
        }
    }

    /// Found by fuzzing: the header was split on characters, and a space followed by a combining mark is one, so the
    /// token read from `bearer  ̠x` (`̠x`) was not readable again from `Bearer ̠x`.
    @Test(arguments: ["\u{320}abc", "\u{301}", "a\u{301}b"])
    func aTokenStartingWithACombiningMarkReadsTheSameAfterOneOrTwoSpaces(token: String) {
        #expect(Self.request(authorization: "bearer  " + token).bearerToken == token)
        #expect(Self.request(authorization: "Bearer " + token).bearerToken == token)
    }

    @Test func anIssuedCredentialGivesItsPrefixAndMalformedOnesNone() async {
        await propertyCheck(input: Gen.element(of: ["gh", "gha", "ghs"]).compactMap { $0 }, Self.junk) { scheme, junk in
            let issued = PrefixedToken(scheme: scheme)
            #expect(PrefixedToken.prefix(of: issued.token, scheme: scheme) == issued.prefix)
            #expect(PrefixedToken.prefix(of: issued.token, scheme: scheme + "x") == nil)
            if let prefix = PrefixedToken.prefix(of: junk, scheme: scheme) {
                #expect(prefix.utf8.count == 12 && prefix.allSatisfy(Self.base32.contains), "\(junk.debugDescription) gave \(prefix.debugDescription)")
            }
        }
    }

    @Test func aPrefixOfTwelveCharactersOutsideTheAlphabetIsNoPrefix() async {
        let outside = Gen.element(of: ["A", "0", "1", "l", "o", "😀", "e\u{301}", " ", "-"]).compactMap { $0 }
        await propertyCheck(input: Self.base32Text.string(of: 11), outside, Gen<Int>.value(in: 0...11)) { rest, odd, position in
            var prefix = Array(rest)
            prefix.insert(contentsOf: odd, at: position)
            #expect(PrefixedToken.prefix(of: "gha_\(String(prefix))_secret", scheme: "gha") == nil)
        }
    }

    /// `cookie(named:)` (one cookie, no list built: the renter's poll) finds what Hummingbird's `cookies[name]` finds, in
    /// any `Cookie` field text, split over one or two fields.
    @Test func oneCookieIsReadExactlyAsTheCookieListReadsIt() async {
        let names = ["gh_pt_7", "gh_lang", "a", "b"]
        let parts = Gen.element(of: names + ["=", "; ", ";", " ", "=1", "=x=y", "gh_pt_7=tok", "gh_lang=en", "\t", "😀"]).compactMap { $0 }
        let field = parts.array(of: 0...12).map { $0.joined() }
        await propertyCheck(input: field, field, Gen.bool) { first, second, split in
            var headers = HTTPFields()
            headers.append(HTTPField(name: .cookie, value: first))
            if split { headers.append(HTTPField(name: .cookie, value: second)) }
            let request = Request(
                head: HTTPRequest(method: .get, scheme: "https", authority: "gatehouse.example", path: "/", headerFields: headers),
                body: RequestBody(buffer: ByteBuffer()))
            for name in names {
                #expect(request.cookie(named: name).map(String.init) == request.cookies[name]?.value, "\(name) in \(headers)")
            }
        }
    }

    @Test func theRenterTokenIsTheQuerysTThenTheCookieAndMatchesOnlyItself() async {
        let tokens = RenterTokens(hasher: TokenHasher(pepper: Array(repeating: 1, count: 32)))
        let token = tokens.token(paymentCode: "code")
        let hash = tokens.storedHash(of: token)
        await propertyCheck(input: Self.base32Text.string(of: 32), Gen.bool, Gen.bool) { other, inQuery, inCookie in
            let id = PaymentID(7)
            let cookie = inCookie ? "a=1; \(RenterAccess.cookieName(id))=\(other); b=2" : "a=1"
            let request = Self.request(cookie: cookie, query: inQuery ? "x=1&t=\(token)" : "x=1")
            let presented = RenterAccess.PresentedToken(id, request: request, query: request.uri.queryParameters)
            #expect(presented?.token == (inQuery ? token : inCookie ? other : nil))
            #expect(presented?.fromQuery == (inQuery ? true : inCookie ? false : nil))
            #expect(tokens.matches(other, storedHash: hash) == (other == token))
            #expect(tokens.matches(token, storedHash: hash))
        }
    }
}
