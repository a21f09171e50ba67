// Copyright (c) the Gatehouse authors
import FuzzSupport
import GatehouseCore
@testable import GatehouseHTTP
import HTTPTypes
import Hummingbird
import NIOCore
@testable import Payments
import Tenancy

/// The token and cookie parsers: `Authorization: Bearer` (owner API keys, admin tokens), the credential shape
/// (``PrefixedToken/prefix(of:scheme:)``), the renter token from `?t=` or the payment's cookie
/// (``RenterAccess/PresentedToken``), renter-token matching, and ``PercentDecoding``. The input is
/// `authorization 0x00 cookie header 0x00 query 0x00 percent-encoded text`.
///
/// Invariants: a bearer token is never empty and never has surrounding white space, and `Bearer <token>` gives it back;
/// a credential prefix is 12 characters of the base32 alphabet, exactly as it stands in the token; the presented renter
/// token is the query's `t` when there is one, else the payment cookie's value, else none; a renter token matches only
/// its own stored hash; percent-decoding leaves text without `%` alone and undoes any percent-encoding of its result.
@_cdecl("FuzzAccessTokens_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let fields = parts(bytes(data, size), count: 4)
    let request = makeRequest(authorization: text(fields[0]), cookie: text(fields[1]), query: text(fields[2]))
    checkBearer(request)
    checkPrefix(text(fields[0]))
    if let bearer = request.bearerToken { checkPrefix(bearer) }
    checkPresentedToken(request)
    checkPercentDecoding(fields[3])
    return 0
}

private func makeRequest(authorization: String, cookie: String, query: String) -> Request {
    var headers = HTTPFields()
    if !authorization.isEmpty { headers[.authorization] = authorization }
    if !cookie.isEmpty { headers[.cookie] = cookie }
    let head = HTTPRequest(method: .get, scheme: "https", authority: "gatehouse.example", path: "/payment/7?" + query, headerFields: headers)
    return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
}

private func checkBearer(_ request: Request) {
    guard let token = request.bearerToken else { return }
    invariant(!token.isEmpty, "empty bearer token")
    // Scalars, as the trimming works: a space followed by a combining mark is a character that starts with white space.
    func isSpace(_ scalar: Unicode.Scalar?) -> Bool { scalar == "\t" || scalar?.properties.generalCategory == .spaceSeparator }
    invariant(!isSpace(token.unicodeScalars.first) && !isSpace(token.unicodeScalars.last), "bearer token keeps white space: \(token.debugDescription)")
    let header = request.headers[.authorization] ?? ""
    // Compared as bytes: a combining mark after the space makes " ̃" one character, which a character search misses.
    let headerBytes = Array(header.utf8)
    invariant(Array(header.lowercased().utf8).starts(with: "bearer ".utf8), "bearer token not from a Bearer header")
    invariant(containsBytes(headerBytes, Array(token.utf8)), "bearer token not in the header")
    let again = makeRequest(authorization: "Bearer " + token, cookie: "", query: "").bearerToken
    invariant(again == token, "Bearer <token> does not give the token back: \(again.debugDescription)")
}

private func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

private let base32 = Set("abcdefghijkmnpqrstuvwxyz23456789".utf8)

private func checkPrefix(_ presented: String) {
    for scheme in ["gh", "gha", "ghs"] {
        guard let prefix = PrefixedToken.prefix(of: presented, scheme: scheme) else { continue }
        invariant(prefix.utf8.count == 12 && prefix.utf8.allSatisfy(base32.contains), "prefix is not 12 base32 characters: \(prefix.debugDescription)")
        invariant(presented.hasPrefix("\(scheme)_\(prefix)_") && presented.utf8.count > scheme.utf8.count + 14, "prefix is not where the token has it")
        if scheme == "gha" { invariant(AdminTokenRepository.prefix(of: presented) == prefix, "admin prefix disagrees") }
    }
}

private let hasher = TokenHasher(pepper: Array(repeating: 7, count: 32))
private let tokens = RenterTokens(hasher: hasher)
private let paymentToken = tokens.token(paymentCode: "fuzz-payment")
private let paymentHash = tokens.storedHash(of: paymentToken)

private func checkPresentedToken(_ request: Request) {
    let id = PaymentID(7)
    let query = request.uri.queryParameters
    let cookie = request.cookies[RenterAccess.cookieName(id)]?.value
    let presented = RenterAccess.PresentedToken(id, request: request, query: query)
    if let t = query["t"] {
        invariant(presented?.token == String(t) && presented?.fromQuery == true, "the query's t was not the token")
    } else if let cookie {
        invariant(presented?.token == cookie && presented?.fromQuery == false, "the cookie was not the token")
    } else {
        invariant(presented == nil, "a token came from nowhere")
    }
    if let token = presented?.token {
        invariant(tokens.matches(token, storedHash: paymentHash) == (token == paymentToken), "a wrong renter token matched")
        let own = tokens.token(paymentCode: token)
        invariant(own.utf8.count == 32 && tokens.matches(own, storedHash: tokens.storedHash(of: own)), "a derived token does not match its hash")
    }
}

private func checkPercentDecoding(_ input: [UInt8]) {
    let string = text(input)
    let decoded = PercentDecoding.decode(Substring(string))
    if !string.utf8.contains(UInt8(ascii: "%")) { invariant(decoded == string, "text without % changed") }
    invariant(decoded == reference(Array(string.utf8)), "disagrees with the reference decoder")
    guard let decoded else { return }
    let hex = Array("0123456789ABCDEFabcdef".utf8)
    var encoded = ""
    for (i, byte) in decoded.utf8.enumerated() {
        let upper = i % 2 == 0
        let high = Int(byte >> 4), low = Int(byte & 15)
        encoded += "%" + String(decoding: [upper || high < 10 ? hex[high] : hex[high + 6], upper || low < 10 ? hex[low] : hex[low + 6]], as: UTF8.self)
    }
    invariant(PercentDecoding.decode(Substring(encoded)) == decoded, "percent-encoding of a result does not decode back")
}

/// RFC 3986 percent-decoding written the obvious way, to compare with.
private func reference(_ bytes: [UInt8]) -> String? {
    var out: [UInt8] = []
    var i = 0
    func value(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
    while i < bytes.count {
        if bytes[i] == 0x25 {
            guard i + 2 < bytes.count, let h = value(bytes[i + 1]), let l = value(bytes[i + 2]) else { return nil }
            out.append(h << 4 | l)
            i += 3
        } else {
            out.append(bytes[i])
            i += 1
        }
    }
    return String(validating: out, as: UTF8.self)
}
