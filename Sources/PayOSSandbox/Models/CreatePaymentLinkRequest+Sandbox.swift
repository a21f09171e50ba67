// Copyright (c) the Gatehouse authors
import PayOS

/// A create body as the sandbox receives it (spec 2.1): the protocol module's ``CreatePaymentLinkRequest``, decoded and
/// validated as payOS does, plus the limits only a server applies.
extension CreatePaymentLinkRequest {
    /// The VietQR amount field holds at most 13 characters; payOS publishes no maximum, so this is the sandbox's.
    static let sandboxMaximumAmount: Int64 = 9_999_999_999_999

    /// Parses and validates a create body. `null` and an absent key are the same thing (Python 1.x sends nulls).
    ///
    /// - Throws: ``PayOSBusinessError/invalidInput`` for a missing or mistyped field or a value out of range,
    ///   ``PayOSBusinessError/descriptionTooLong`` for a description over 25 characters. The signature is
    ///   checked separately (it needs the channel's key), but must be there.
    init(sandboxBody body: [UInt8]) throws(PayOSBusinessError) {
        guard let json = try? JSONValue(parsing: body), let object = json.objectValue,
            let request = try? CreatePaymentLinkRequest(json: object)
        else { throw .invalidInput }
        guard request.signature?.isEmpty == false, request.amount <= Self.sandboxMaximumAmount else { throw .invalidInput }
        do {
            try request.validate()
        } catch {
            throw error.path == "description" && !request.description.isEmpty ? .descriptionTooLong : .invalidInput
        }
        // Documented as an Int32 Unix timestamp.
        guard request.expiredAt.map({ $0 <= Int64(Int32.max) }) ?? true else { throw .invalidInput }
        self = request
    }
}
