// Copyright (c) the Gatehouse authors
public import Vault
import HTTPTypes

/// The vault's codes an admin or owner call can meet. The message is written here, never the error's own text (which
/// names the type and is meant for logs).
extension VaultError: APIErrorConvertible {
    public var apiError: APIError {
        switch code {
        case .noCredentials:
            .init(status: .conflict, code: "OWNER_NOT_ONBOARDED", message: "the owner has not stored payOS credentials yet")
        case .invalidInput: .validation("the request is not acceptable to the vault (a value is empty or out of range)")
        case .kekInUse:
            .init(status: .conflict, code: "KEK_IN_USE", message: "the master key version is active or still wraps keys; rotate first")
        case .unknownKEKVersion:
            .init(status: .badRequest, code: "UNKNOWN_KEK_VERSION", message: "the key ring holds no such master key version")
        case .concurrentChange: .conflict("another change to the same keys is in progress; retry")
        case .stateTampered:
            .init(
                status: .internalServerError, code: "CREDENTIALS_INTEGRITY",
                message: "the stored payOS credentials failed an integrity check; store them again")
        default: .internalError
        }
    }
}
