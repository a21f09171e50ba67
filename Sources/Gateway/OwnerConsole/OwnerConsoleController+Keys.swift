// Copyright (c) the Gatehouse authors
import HTTPTypes
import Hummingbird
import Logging
import Vault
import PayOS
import Tenancy
import GatehouseCore
import GatehouseHTTP

/// API keys (list, create — the secret shown once —, revoke) and payOS credential rotation (the onboarding proof).
extension OwnerConsoleController {
    @Sendable func keysPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false, current: "api-keys") { signed, _ in
            let locale = request.pageLocale
            let keys = try await apiKeys.list(owner: signed.owner.id, logger: context.logger).map { key -> [String: Any] in
                var row: [String: Any] = [
                    "prefix": key.prefix, "name": key.name ?? "", "created": PageTime.model(key.createdAt, locale: locale),
                    "revoked": key.revokedAt != nil, "current": key.prefix == signed.session.keyPrefix,
                ]
                if let at = key.lastUsedAt { row["lastUsed"] = PageTime.model(at, locale: locale) }
                if let at = key.expiresAt { row["expires"] = PageTime.model(at, locale: locale) }
                return row
            }
            let title = ConsoleStrings.table(locale)["apiKeys"] ?? ""
            return page(request, "keys", title: title, model: ["keys": keys], signed: signed, current: "api-keys")
        }
    }

    /// Creates a key and shows its secret on this response only (never stored, never shown again).
    @Sendable func createKey(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true, current: "api-keys") { signed, form in
            let name = try TextField("name", maximum: 100).validated(form["name"] ?? "", required: false)
            let issued = try await apiKeys.issue(owner: signed.owner.id, name: name.isEmpty ? nil : name, logger: context.logger)
            try await audit(signed.audit(context), owner: signed.owner.id, AuditAction.createKey, ["prefix": .string(issued.prefix)], logger: context.logger)
            let strings = ConsoleStrings.table(request.pageLocale)
            return page(
                request, "key-created", title: strings["newKeyTitle"] ?? "", model: ["secret": issued.secret], signed: signed, current: "api-keys")
        }
    }

    /// Revokes one of the signed-in owner's keys (another owner's prefix is "no such key"); revoking the key this
    /// session signed in with ends the session.
    @Sendable func revokeKey(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true, current: "api-keys") { signed, _ in
            guard let prefix = context.parameters.get("prefix"),
                try await apiKeys.revoke(owner: signed.owner.id, prefix: prefix, logger: context.logger)
            else { return ConsoleHTTP.redirect("/owner/api-keys?done=keyNotFound") }
            try await audit(signed.audit(context), owner: signed.owner.id, AuditAction.revokeKey, ["prefix": .string(prefix)], logger: context.logger)
            guard prefix != signed.session.keyPrefix else {
                var response = ConsoleHTTP.redirect("/owner/sign-in")
                response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, "", maxAge: 0)))
                return response
            }
            return ConsoleHTTP.redirect("/owner/api-keys?done=keyRevoked")
        }
    }

    @Sendable func credentialsPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false, current: "credentials") { signed, _ in
            try await credentialsForm(request, context: context, signed: signed, error: nil, status: .ok)
        }
    }

    func credentialsForm(
        _ request: Request, context: GatehouseRequestContext, signed: Signed, error: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        var model: [String: Any] = [:]
        if let info = try await credentials.info(owner: signed.owner.id, logger: context.logger) {
            model["hint"] = "…" + (info.clientIDHint ?? "")
            model["version"] = info.activeVersion
        }
        let title = ConsoleStrings.table(request.pageLocale)["credentials"] ?? ""
        return page(request, "credentials", title: title, model: model, signed: signed, current: "credentials", error: error, status: status)
    }

    /// Runs the onboarding API's own proof (``OnboardingService/submit(owner:clientID:apiKey:checksumKey:audit:logger:)``)
    /// on the posted candidate set; the page shows the outcome only — the fields are never echoed back.
    @Sendable func rotateCredentials(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true, current: "credentials") { signed, form in
            let strings = ConsoleStrings.table(request.pageLocale)
            let outcome: (key: String, status: HTTPResponse.Status)
            do {
                _ = try await onboarding.submit(
                    owner: signed.owner.id, clientID: form["client_id"] ?? "", apiKey: form["api_key"] ?? "", checksumKey: form["checksum_key"] ?? "",
                    audit: signed.audit(context), logger: context.logger)
                return ConsoleHTTP.redirect("/owner/credentials?done=rotated")
            } catch let error as OnboardingError {
                let key = switch error.part {
                case .clientIDOrAPIKey: "partClientOrKey"
                case .checksumKey: "partChecksum"
                case .webhookURL: "partWebhook"
                }
                outcome = (key, .unprocessableContent)
            } catch is OnboardingAttemptsExceeded {
                outcome = ("attemptsExceeded", .tooManyRequests)
            } catch let error as TenancyError where error.code == .validation {
                outcome = ("validation", .badRequest)
            } catch let error as PayOSError {
                context.logger.notice("credential rotation: payOS failed", metadata: ["error.detail": "\(String(reflecting: error))"])
                outcome = ("payOSUnavailable", .serviceUnavailable)
            }
            return try await credentialsForm(request, context: context, signed: signed, error: strings[outcome.key], status: outcome.status)
        }
    }
}
