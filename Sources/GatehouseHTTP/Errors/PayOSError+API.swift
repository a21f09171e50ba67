// Copyright (c) the Gatehouse authors
import HTTPTypes
public import PayOS

extension PayOSError: APIErrorConvertible {
    /// payOS could not be reached → 503 `PAYOS_CONNECTION_ERROR` (retry later); payOS refused → 502 with payOS's
    /// code (`PAYOS_<code>`, `PAYOS_UNAUTHORIZED` for an owner's wrong keys, `PAYOS_INVALID_SIGNATURE`).
    public var apiError: APIError {
        let error = self
        switch error.code {
        case .unreachable, .timeout, .rateLimited:
            var headers: HTTPFields = [:]
            if let retryAfter = error.retryAfter {
                headers[.retryAfter] = String(max(1, retryAfter.components.seconds))
            }
            return .init(status: .serviceUnavailable, code: "PAYOS_CONNECTION_ERROR", message: "PayOS service unavailable", headers: headers)
        case .business:
            // payOS's code is echoed only as digits, so nothing payOS sends can shape our answer.
            let code = (error.businessCode ?? "").filter { $0.isASCII && $0.isNumber }
            return .init(status: .badGateway, code: code.isEmpty ? "PAYOS_ERROR" : "PAYOS_\(code)", message: "payOS refused the request (code \(code))")
        case .unauthorized:
            return .init(status: .badGateway, code: "PAYOS_UNAUTHORIZED", message: "payOS refused the owner's payOS credentials")
        case .invalidSignature:
            return .init(status: .badGateway, code: "PAYOS_INVALID_SIGNATURE", message: "payOS's answer failed signature verification")
        case .invalidRequest:
            return .validation("the payment request is not acceptable to payOS")
        default:
            return .init(status: .badGateway, code: "PAYOS_ERROR", message: "payOS gave an unusable answer")
        }
    }
}
