// Copyright (c) the Gatehouse authors
import FuzzSupport
import PayOS

/// The webhook body payOS POSTs (``PayOSWebhook/verify(body:checksumKeys:)``, ``PayOSWebhookBody``).
///
/// Invariants: verification never traps and refuses as `invalidJSON` exactly the bodies the JSON reader refuses; a
/// body that decodes re-encodes to JSON that decodes to the same body; its data signed under one of the candidate keys
/// verifies, with that key's index and the same data, and does not verify under other keys.
@_cdecl("FuzzPayOSWebhook_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let keys = ["", "current-key", "previous-key"]
    let parsed = try? JSONValue(parsing: input)
    do throws(PayOSWebhookError) {
        let verified = try PayOSWebhook.verify(body: input, checksumKeys: keys)
        invariant(verified.matchedKeyIndex > 0, "an empty key matched")
        invariant(verified.body.signature == verified.data.signature(checksumKey: keys[verified.matchedKeyIndex]), "verified with a wrong signature")
    } catch {
        invariant((error.code == .invalidJSON) == (parsed == nil), "invalidJSON disagrees with the JSON reader: \(error.code)")
    }

    guard let parsed, case .object(let object) = parsed, let body = try? PayOSWebhookBody(json: object) else { return 0 }
    let text = JSONValue.object(body.toJSON()).compactBytes
    guard let decoded = try? PayOSWebhookBody(json: JSONValue(parsing: text)) else {
        invariant(false, "a decoded body's JSON does not decode")
        return 0
    }
    invariant(decoded == body, "body round trip changed it")
    invariant(body.data.toJSON().count == PayOSWebhookData.keys.count, "data JSON does not have the 16 keys")
    _ = body.data.isConfirmationProbe

    let signed = PayOSWebhookBody.signed(body.data, checksumKey: "previous-key")
    let signedText = JSONValue.object(signed.toJSON()).compactBytes
    do {
        let verified = try PayOSWebhook.verify(body: signedText, checksumKeys: keys)
        invariant(verified.matchedKeyIndex == 2, "matched key \(verified.matchedKeyIndex), signed with 2")
        invariant(verified.data == body.data, "verified data differs from the signed data")
    } catch {
        invariant(false, "a body signed with a candidate key is refused: \(error.debugDescription)")
    }
    do throws(PayOSWebhookError) {
        _ = try PayOSWebhook.verify(body: signedText, checksumKeys: ["current-key", "other-key"])
        invariant(false, "a body verified under keys it was not signed with")
    } catch {
        invariant(error.code == .invalidSignature, "wrong-key refusal is \(error.code), not invalidSignature")
    }
    return 0
}
