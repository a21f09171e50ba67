// Copyright (c) the Gatehouse authors
import Foundation
public import Hummingbird
import Logging
import NIOCore
import Storage
import Tenancy
import Vault
import GatehouseCore
import Notifications
public import GatehouseHTTP

/// The `/admin` JSON API: owners, their API keys and rate limits, the vault, the audit trail, dead e-mails and refunds due.
///
/// Mount ``endpoints`` on the `/admin` group behind ``AdminAuthMiddleware``, in ``AdminRequestContext``. Each route only
/// translates HTTP to an ``AdminOperations`` call (which audits it with the context's admin and request id) and back.
public struct AdminController: Sendable {
    let operations: AdminOperations

    public init(operations: AdminOperations) {
        self.operations = operations
    }

    /// Routes relative to the admin group (`/admin`).
    public var endpoints: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get("owners", use: listOwners)
        routes.post("owners", use: createOwner)
        routes.get("owners/{id}", use: getOwner)
        routes.post("owners/{id}/suspend", use: suspend)
        routes.post("owners/{id}/reactivate", use: reactivate)
        routes.post("owners/{id}/rotate-api-keys", use: rotateAPIKeys)
        routes.post("owners/{id}/expire-previous-checksum-key", use: expirePreviousChecksumKey)
        routes.get("owners/{id}/rate-limit", use: rateLimit)
        routes.put("owners/{id}/rate-limit", use: setRateLimit)
        routes.get("vault", use: vaultStatus)
        routes.post("vault/rotate-master-key", use: rotateMasterKey)
        routes.post("vault/retire-kek", use: retireKEK)
        routes.get("audit", use: auditTrail)
        routes.get("notifications/dead", use: deadNotifications)
        routes.post("notifications/{id}/resend", use: resendNotification)
        routes.get("payments/export.csv", use: exportPayments)
        routes.get("refunds", use: refundList)
        routes.post("refunds/{id}/resolve", use: resolveRefund)
        return routes
    }

    // MARK: Owners

    struct OwnerBody: Encodable, Sendable {
        let id: Int64
        let name: String
        let email: String
        let status: String
        let onboarding_state: String
        let credentials: CredentialsBody?
        let created_at: String
        let updated_at: String

        init(_ view: AdminOwnerView) {
            self.init(view.owner, credentials: view.credentials)
        }

        init(_ owner: Owner, credentials: CredentialInfo?) {
            id = owner.id.rawValue
            name = owner.name
            email = owner.email
            status = owner.status.rawValue
            onboarding_state = owner.onboardingState.rawValue
            self.credentials = credentials.map(CredentialsBody.init)
            created_at = APITime.format(owner.createdAt)
            updated_at = APITime.format(owner.updatedAt)
        }
    }

    /// What is stored of an owner's payOS credentials: a masked hint and dates, never a key.
    struct CredentialsBody: Encodable, Sendable {
        let client_id_hint: String?
        let version: Int
        let rotated_at: String
        let kek_version: Int
        let previous_checksum_key_usable_until: String?

        init(_ info: CredentialInfo) {
            client_id_hint = info.clientIDHint.map { "…" + $0 }
            version = info.activeVersion
            rotated_at = APITime.format(info.rotatedAt)
            kek_version = info.kekVersion
            previous_checksum_key_usable_until = info.previousChecksumKey.map { APITime.format($0.usableUntil) }
        }
    }

    struct OwnerList: Encodable, Sendable {
        let owners: [OwnerBody]
    }

    @Sendable func listOwners(request: Request, context: AdminRequestContext) async throws -> JSONResponse<OwnerList> {
        JSONResponse(OwnerList(owners: try await operations.owners(logger: context.logger).map(OwnerBody.init)))
    }

    struct CreateOwnerRequest: Decodable {
        let name: String
        let email: String
    }

    struct CreatedOwner: Encodable, Sendable {
        let success = true
        let owner: OwnerBody
        /// The owner's first API key: shown this once.
        let api_key: String
        let api_key_prefix: String
    }

    @Sendable func createOwner(request: Request, context: AdminRequestContext) async throws -> JSONResponse<CreatedOwner> {
        let body = try await request.decodeJSON(as: CreateOwnerRequest.self, context: context)
        let (owner, key) = try await operations.createOwner(name: body.name, email: body.email, audit: context.audit, logger: context.logger)
        return JSONResponse(
            status: .created, CreatedOwner(owner: OwnerBody(owner, credentials: nil), api_key: key.secret, api_key_prefix: key.prefix))
    }

    @Sendable func getOwner(request: Request, context: AdminRequestContext) async throws -> JSONResponse<OwnerBody> {
        JSONResponse(OwnerBody(try await operations.requireOwner(try Self.ownerID(context), logger: context.logger)))
    }

    @Sendable func suspend(request: Request, context: AdminRequestContext) async throws -> JSONResponse<OwnerBody> {
        try await setStatus(.suspended, context: context)
    }

    @Sendable func reactivate(request: Request, context: AdminRequestContext) async throws -> JSONResponse<OwnerBody> {
        try await setStatus(.active, context: context)
    }

    func setStatus(_ status: Owner.Status, context: AdminRequestContext) async throws -> JSONResponse<OwnerBody> {
        JSONResponse(OwnerBody(try await operations.setStatus(try Self.ownerID(context), status, audit: context.audit, logger: context.logger)))
    }

    struct RotateKeysRequest: Decodable {
        /// Seconds the owner's current keys stay valid (0 = expire now); default ``AdminOperations/defaultOldKeyGraceSeconds``.
        let old_keys_valid_for_seconds: Int64?
    }

    struct RotatedKeys: Encodable, Sendable {
        let success = true
        /// The new key: shown this once.
        let api_key: String
        let api_key_prefix: String
        let old_keys_expire_at: String
    }

    @Sendable func rotateAPIKeys(request: Request, context: AdminRequestContext) async throws -> JSONResponse<RotatedKeys> {
        let id = try Self.ownerID(context)
        let body = try await Self.optionalJSON(RotateKeysRequest.self, request: request, context: context)
        let (key, expiresAt) = try await operations.rotateAPIKeys(
            id, oldKeysValidForSeconds: body?.old_keys_valid_for_seconds, audit: context.audit, logger: context.logger)
        return JSONResponse(RotatedKeys(api_key: key.secret, api_key_prefix: key.prefix, old_keys_expire_at: APITime.format(expiresAt)))
    }

    struct ExpiredKeys: Encodable, Sendable {
        let success = true
        /// Previous checksum keys destroyed (0 when the owner had none in its grace window).
        let destroyed: Int
    }

    @Sendable func expirePreviousChecksumKey(request: Request, context: AdminRequestContext) async throws -> JSONResponse<ExpiredKeys> {
        let destroyed = try await operations.expirePreviousChecksumKey(try Self.ownerID(context), audit: context.audit, logger: context.logger)
        return JSONResponse(ExpiredKeys(destroyed: destroyed))
    }

    // MARK: Vault

    struct VaultBody: Encodable, Sendable {
        struct Run: Encodable, Sendable {
            let run_id: Int64
            let target_kek_version: Int
            let rewrapped: Int64
        }
        let active_kek_version: Int
        let ring_versions: [Int]
        /// Keys wrapped per master key version (string keys: JSON objects have no integer keys).
        let keys_by_kek_version: [String: Int]
        /// Keys not yet under the active version: 0 when a rotation is complete.
        let keys_to_rewrap: Int
        let unfinished_rotations: [Run]
    }

    @Sendable func vaultStatus(request: Request, context: AdminRequestContext) async throws -> JSONResponse<VaultBody> {
        JSONResponse(Self.vaultBody(try await operations.vaultStatus(logger: context.logger)))
    }

    static func vaultBody(_ status: KEKStatus) -> VaultBody {
        VaultBody(
            active_kek_version: status.activeVersion, ring_versions: status.ringVersions,
            keys_by_kek_version: Dictionary(uniqueKeysWithValues: status.dataKeysByVersion.map { (String($0.key), $0.value) }),
            keys_to_rewrap: status.dataKeysByVersion.filter { $0.key != status.activeVersion }.map(\.value).reduce(0, +),
            unfinished_rotations: status.unfinishedRotations.map {
                VaultBody.Run(run_id: $0.runID, target_kek_version: $0.targetVersion, rewrapped: Int64($0.rewrapped))
            })
    }

    struct RotateRequest: Decodable {
        let to: Int?
        let batch_size: Int?
    }

    struct RotationBody: Encodable, Sendable {
        let success = true
        let run_id: Int64
        let target_kek_version: Int
        let rewrapped: Int64
        let finished: Bool
        let vault: VaultBody
    }

    @Sendable func rotateMasterKey(request: Request, context: AdminRequestContext) async throws -> JSONResponse<RotationBody> {
        let body = try await Self.optionalJSON(RotateRequest.self, request: request, context: context)
        let report = try await operations.rotateMasterKey(
            to: body?.to, batchSize: body?.batch_size ?? 100, audit: context.audit, logger: context.logger)
        return JSONResponse(
            RotationBody(
                run_id: report.runID, target_kek_version: report.targetVersion, rewrapped: Int64(report.rewrapped), finished: report.finished,
                vault: Self.vaultBody(try await operations.vaultStatus(logger: context.logger))))
    }

    struct RetireRequest: Decodable {
        let version: Int
    }

    struct RetiredBody: Encodable, Sendable {
        let success = true
        let retired_kek_version: Int
        let vault: VaultBody
    }

    @Sendable func retireKEK(request: Request, context: AdminRequestContext) async throws -> JSONResponse<RetiredBody> {
        let body = try await request.decodeJSON(as: RetireRequest.self, context: context)
        try await operations.retireKEK(version: body.version, audit: context.audit, logger: context.logger)
        return JSONResponse(
            RetiredBody(retired_kek_version: body.version, vault: Self.vaultBody(try await operations.vaultStatus(logger: context.logger))))
    }

    // MARK: Audit

    struct AuditRow: Encodable, Sendable {
        let id: Int64
        let at: String
        let actor: String
        let owner_id: Int64?
        let action: String
        /// The row's detail object as JSON text (facts, never secrets).
        let detail: String?
        let request_id: String?
    }

    struct AuditBody: Encodable, Sendable {
        let records: [AuditRow]
        /// Pass as `before=` for the next (older) page; absent on the last page.
        let next_before: Int64?
    }

    @Sendable func auditTrail(request: Request, context: AdminRequestContext) async throws -> JSONResponse<AuditBody> {
        let page = try await operations.auditPage(try Self.auditFilter(request.queryValue), logger: context.logger)
        return JSONResponse(
            AuditBody(
                records: page.records.map {
                    AuditRow(
                        id: $0.id, at: APITime.format($0.at), actor: $0.actor, owner_id: $0.ownerID?.rawValue, action: $0.action, detail: $0.detail,
                        request_id: $0.requestID)
                }, next_before: page.nextBefore))
    }

    /// `owner`, `action`, `from`/`to` (ISO-8601), `limit` (1…500, default 50), `before` (cursor); each checked by name.
    static func auditFilter(_ query: (String) -> String?) throws -> AdminAuditFilter {
        func value(_ name: String) -> String? {
            guard let raw = query(name), !raw.isEmpty else { return nil }
            return raw
        }
        func integer(_ name: String) throws -> Int64? {
            guard let text = value(name) else { return nil }
            guard let number = Int64(text), number > 0 else { throw APIError.validation("\(name) must be a positive integer") }
            return number
        }
        func time(_ name: String) throws -> Int64? {
            guard let text = value(name) else { return nil }
            guard let millis = APITime.parse(text) else { throw APIError.validation("\(name) must be an ISO-8601 date-time") }
            return millis
        }
        let limit = try integer("limit") ?? 50
        guard limit <= 500 else { throw APIError.validation("limit must be 1 to 500") }
        // `audit_log.action` is VARCHAR(64); the filter is checked like the text it is compared with.
        var action: String? = nil
        if let raw = value("action") {
            do { action = try TextField("action", maximum: 64).validated(raw) } catch { throw APIError.validation(error.message) }
        }
        return AdminAuditFilter(
            owner: try integer("owner").map { OwnerID($0) }, action: action, from: try time("from"), to: try time("to"),
            limit: Int(limit), before: try integer("before"))
    }

    // MARK: Notifications

    struct DeadBody: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            let id: Int64
            let owner_id: Int64
            let kind: String
            let recipient: String
            let subject: String
            let attempts: Int
            let last_error: String?
            let created_at: String
        }
        let notifications: [Entry]
    }

    @Sendable func deadNotifications(request: Request, context: AdminRequestContext) async throws -> JSONResponse<DeadBody> {
        let entries = try await operations.deadNotifications(logger: context.logger)
        return JSONResponse(DeadBody(notifications: entries.map(Self.deadEntry)))
    }

    static func deadEntry(_ entry: OutboxEntry) -> DeadBody.Entry {
        .init(
            id: entry.id, owner_id: entry.ownerID.rawValue, kind: entry.kind, recipient: entry.recipient, subject: entry.subject,
            attempts: entry.attempts, last_error: entry.lastError, created_at: APITime.format(entry.createdAt))
    }

    struct ResentBody: Encodable, Sendable {
        let success = true
        let id: Int64
        let status: String
    }

    @Sendable func resendNotification(request: Request, context: AdminRequestContext) async throws -> JSONResponse<ResentBody> {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw APIError.notFound("notification") }
        switch try await operations.resendNotification(id: id, audit: context.audit, logger: context.logger) {
        case .resent:
            return JSONResponse(ResentBody(id: id, status: OutboxStatus.pending.rawValue))
        case .notDead(let entry):
            throw APIError.conflict("only a dead notification can be re-sent (this one is \(entry.status.rawValue))")
        }
    }

    // MARK: Helpers

    /// The `{id}` path parameter as an owner id; 404 when it is not one (as for an unknown owner).
    static func ownerID(_ context: some RequestContext) throws -> OwnerID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw APIError.notFound("owner") }
        return OwnerID(id)
    }

    /// A JSON body that may be absent (an empty body means "defaults").
    static func optionalJSON<T: Decodable>(_ type: T.Type, request: Request, context: some RequestContext) async throws -> T? {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError.payloadTooLarge
        }
        guard buffer.readableBytes > 0 else { return nil }
        return try await request.decodeJSON(as: T.self, context: context)
    }
}

extension Request {
    /// The first value of a query parameter.
    func queryValue(_ name: String) -> String? {
        uri.queryParameters[Substring(name)].map(String.init)
    }
}
