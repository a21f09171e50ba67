// Copyright (c) the Gatehouse authors
public import Tenancy
import HTTPTypes

/// 422 `PAYOS_CREDENTIALS_INVALID` with `part`: which of the submitted credentials payOS did not accept.
extension OnboardingError: APIErrorConvertible {
    public var apiError: APIError {
        var mapped = APIError(
            status: .unprocessableContent, code: "PAYOS_CREDENTIALS_INVALID", message: "payOS did not accept the credentials (\(part))")
        mapped.part = part.description
        return mapped
    }
}
