// Copyright (c) the Gatehouse authors
import FuzzSupport
import PayOS

/// The payOS JSON reader (``JSONValue``) and the canonical text signatures are computed over.
///
/// Invariants: parsing never traps; nesting never exceeds ``JSONValue/maximumDepth``; an object's keys are unique and
/// every lookup finds its entry; the compact text of a parsed value parses again, to a value with the same compact text
/// (a fixed point), and to the same value when it holds no floating-point number; the canonical text and the body
/// signature are the same for the value and its re-parse; a body signature verifies and a changed one does not.
@_cdecl("FuzzPayOSJSON_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let value = try? JSONValue(parsing: input) else { return 0 }
    check(value, depth: 0)

    let text = value.compactBytes
    invariant(text == Array(value.compactText.utf8), "compactBytes and compactText differ")
    let again: JSONValue
    do {
        again = try JSONValue(parsing: text)
    } catch {
        invariant(false, "compact text does not parse: \(error) in \(value.compactText)")
        return 0
    }
    invariant(again.compactBytes == text, "compact text is not a fixed point: \(value.compactText) vs \(again.compactText)")
    if !holdsDouble(value) { invariant(again == value, "round trip changed the value: \(value) vs \(again)") }

    if case .object(let object) = value, case .object(let reparsed) = again {
        let canonical = PayOSSignature.canonicalText(of: object)
        invariant(canonical == PayOSSignature.canonicalText(of: reparsed), "canonical text changed by a round trip")
        let key = "fuzz-checksum-key"
        let signature = PayOSSignature.body(object, checksumKey: key)
        invariant(signature.utf8.count == 64 && signature.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, "signature is not 64 lowercase hex")
        invariant(PayOSSignature.verifyBody(reparsed, signature: signature, checksumKey: key), "signature does not verify after a round trip")
        invariant(!PayOSSignature.verifyBody(object, signature: signature.uppercased() == signature ? signature + "0" : signature.uppercased(), checksumKey: key), "a changed signature verifies")
        invariant(!PayOSSignature.verifyBody(object, signature: signature, checksumKey: key + "x"), "the signature verifies under another key")
        let sorted = object.sortedByKey()
        invariant(sorted.count == object.count, "sorting lost keys")
        invariant(zip(sorted.keys, sorted.keys.dropFirst()).allSatisfy { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }, "keys not sorted")
    }
    return 0
}

private func check(_ value: JSONValue, depth: Int) {
    invariant(depth <= JSONValue.maximumDepth + 1, "nesting \(depth) passed the limit")
    switch value {
    case .array(let elements):
        for element in elements { check(element, depth: depth + 1) }
    case .object(let object):
        invariant(Set(object.keys).count == object.count, "repeated key in an object")
        for (key, member) in object {
            invariant(object.contains(key) && object[key] == member, "lookup of \(key) does not find its entry")
            check(member, depth: depth + 1)
        }
    case .double(let d):
        invariant(!d.isNaN, "NaN parsed")
    default:
        break
    }
}

private func holdsDouble(_ value: JSONValue) -> Bool {
    switch value {
    case .double: true
    case .array(let elements): elements.contains(where: holdsDouble)
    case .object(let object): object.contains { holdsDouble($0.value) }
    default: false
    }
}
