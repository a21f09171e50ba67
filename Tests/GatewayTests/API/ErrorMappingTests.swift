// Copyright (c) the Gatehouse authors
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import PayOS
import Sodium
import Storage
import Tenancy
import Testing
import Vault

/// Each lower module's errors become an `{error, code}` answer through a conformance of their own
/// (`Sources/GatehouseHTTP/Errors`), and what reaches the client never names an internal type, a detail meant for logs,
/// or anything a lower module wrote for operators.
@Suite struct ErrorsMapToStableCodesWithoutInternalNames {
    /// The details below are what a careless mapping would leak.
    static let leakyDetail = "SELECT secret FROM vault_credential /* key=abc */"

    static let samples: [(error: any Error, status: Int, code: String)] = [
        (TenancyError.notFound("booking"), 404, "NOT_FOUND"),
        (TenancyError.validation("amount must be positive"), 400, "VALIDATION_ERROR"),
        (TenancyError.conflict("this booking is already paid"), 409, "CONFLICT"),
        (TenancyError(.ownerSuspended, "suspended"), 403, "OWNER_SUSPENDED"),
        (TenancyError(.notOnboarded, "no payOS keys yet"), 409, "OWNER_NOT_ONBOARDED"),
        (StorageError(code: .poolTimeout, detail: leakyDetail), 503, "SERVICE_UNAVAILABLE"),
        (StorageError(code: .statementFailed, message: "near SELECT", detail: leakyDetail), 500, "INTERNAL_ERROR"),
        (VaultError(code: .invalidInput, detail: leakyDetail), 400, "VALIDATION_ERROR"),
        (VaultError(code: .sealBroken, detail: leakyDetail), 500, "INTERNAL_ERROR"),
        (VaultError(code: .noCredentials, detail: leakyDetail), 409, "OWNER_NOT_ONBOARDED"),
        (VaultError(code: .kekInUse, detail: leakyDetail), 409, "KEK_IN_USE"),
        (PayOSError(.unreachable, detail: leakyDetail), 503, "PAYOS_CONNECTION_ERROR"),
        (PayOSError(.business, businessCode: "20", businessDescription: leakyDetail), 502, "PAYOS_20"),
        (PayOSError(.unauthorized, httpStatus: 401, detail: leakyDetail), 502, "PAYOS_UNAUTHORIZED"),
        (OnboardingError(part: .checksumKey), 422, "PAYOS_CREDENTIALS_INVALID"),
        (SodiumError(code: .authenticationFailed, detail: leakyDetail), 500, "INTERNAL_ERROR"),
    ]

    @Test func everyLowerModuleErrorHasAStableCodeAndNoInternalText() {
        for sample in Self.samples {
            let answer = APIError.from(sample.error)
            #expect(Int(answer.status.code) == sample.status, "\(sample.code)")
            #expect(answer.code == sample.code)
            for leak in ["Error(", "Error.", "SELECT", "vault_credential", "key=", "near "] {
                #expect(!answer.message.contains(leak), "\(sample.code): \(answer.message)")
            }
        }
    }

    @Test func theVaultsInvalidInputNoLongerShowsTheTypeName() {
        let answer = APIError.from(VaultError(code: .invalidInput, detail: "batch size must be positive"))
        #expect(answer.code == "VALIDATION_ERROR")
        #expect(!answer.message.contains("VaultError"))
        #expect(!answer.message.contains("invalidInput"))
    }

    @Test func anErrorWithNoConformanceIsAGeneric500() {
        struct Unmapped: Error {}
        let answer = APIError.from(Unmapped())
        #expect(answer.code == "INTERNAL_ERROR")
        #expect(answer.message == "Internal payment error")
    }
}
