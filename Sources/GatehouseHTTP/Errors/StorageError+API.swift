// Copyright (c) the Gatehouse authors
public import Storage

/// A database that cannot be reached or is overloaded is 503 (retry); anything else the database says is a 500 whose
/// detail is only logged.
extension StorageError: APIErrorConvertible {
    public var apiError: APIError {
        switch code {
        case .poolTimeout, .connectionFailed, .connectionLost, .busy, .poolShutdown: .serviceUnavailable
        default: .internalError
        }
    }
}
