// Copyright (c) the Gatehouse authors
import Foundation
import FuzzSupport
import PayOS

/// The payOS response decoder as ``PayOSClient`` uses it: status, `Retry-After` and body into an envelope, then
/// `data` into ``CreatePaymentLinkResponse``, ``PaymentLink`` or ``ConfirmWebhookResponse``.
///
/// The first byte picks the status, the model and whether `data` must be signed; bytes up to the first `0x00` after
/// it are the `Retry-After` value; the rest is the body.
///
/// Invariants: decoding never traps; only a 2xx answer decodes; a signed model decodes only with a signature; a
/// decoded model re-encoded in a signed success envelope decodes to the same model (with the signature checked); a
/// `Retry-After` wait is never negative nor longer than a year.
@_cdecl("FuzzPayOSResponse_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let selector = input.first else { return 0 }
    let fields = parts(Array(input.dropFirst()), count: 2)
    let statuses = [200, 201, 204, 299, 400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 599]
    let status = statuses[Int(selector & 0x0F)]
    let signed = selector & 0x10 != 0
    let key = "fuzz-checksum-key"
    let retryAfter = text(fields[0])
    let response = PayOSHTTPResponse(status: status, headers: [PayOSHTTPHeader("Retry-After", retryAfter)], body: fields[1])
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    if let wait = PayOSResponseDecoder.retryAfter(retryAfter, now: now) {
        invariant(wait >= .zero && wait <= .seconds(86_400 * 365), "Retry-After \(retryAfter) gives \(wait)")
    }
    let check: PayOSResponseDecoder.SignatureCheck = signed ? .body(checksumKey: key) : .none
    switch (selector >> 5) % 3 {
    case 0: roundTrip(CreatePaymentLinkResponse.self, response, check, key: key, now: now)
    case 1: roundTrip(PaymentLink.self, response, check, key: key, now: now)
    default: roundTrip(ConfirmWebhookResponse.self, response, check, key: key, now: now)
    }
    return 0
}

private func roundTrip<Model: PayOSJSONModel>(
    _ type: Model.Type, _ response: PayOSHTTPResponse, _ check: PayOSResponseDecoder.SignatureCheck, key: String, now: Date
) {
    let model: Model
    do throws(PayOSError) {
        model = try PayOSResponseDecoder.decode(response, as: type, signature: check, now: now)
    } catch {
        if let wait = error.retryAfter { invariant(wait >= .zero && wait <= .seconds(86_400 * 365), "retryAfter \(wait)") }
        return
    }
    invariant((200..<300).contains(response.status), "a \(response.status) answer decoded")
    if case .body = check {
        invariant((try? JSONValue(parsing: response.body))?["signature"]?.stringValue?.isEmpty == false, "a signed model decoded without a signature")
    }
    let envelope = PayOSEnvelope.signedSuccess(model.toJSON(), checksumKey: key)
    let body = JSONValue.object(envelope.toJSON()).compactBytes
    do {
        let again = try PayOSResponseDecoder.decode(PayOSHTTPResponse(status: 200, body: body), as: type, signature: .body(checksumKey: key), now: now)
        invariant(again == model, "model round trip changed it: \(model) vs \(again)")
    } catch {
        invariant(false, "a decoded model, re-encoded and signed, is refused: \(error)")
    }
}
