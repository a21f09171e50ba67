// Copyright (c) the Gatehouse authors
public import GatehouseCore
import HTTPTypes

extension TenancyError: APIErrorConvertible {
    public var apiError: APIError {
        switch code {
        case .notFound: .init(status: .notFound, code: "NOT_FOUND", message: message)
        case .validation: .validation(message)
        case .conflict: .conflict(message)
        case .unauthorized: .unauthorized
        case .ownerSuspended: .ownerSuspended
        case .notOnboarded: .init(status: .conflict, code: "OWNER_NOT_ONBOARDED", message: message)
        default: .internalError
        }
    }
}
