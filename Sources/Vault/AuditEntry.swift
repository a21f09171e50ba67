// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// What a caller asks ``AuditLog`` to record: the fields of one row before the log stamps its time and chains it.
public struct AuditEntry: Sendable, Hashable {
    /// Who acted (1…128 bytes), e.g. `admin:alice`.
    public var actor: String
    /// The owner concerned, if any.
    public var ownerID: Int64?
    /// A dotted, low-cardinality verb (1…64 bytes), e.g. `vault.unseal`.
    public var action: String
    /// Extra facts — never secrets.
    public var detail: AuditDetail?
    /// The request that caused it (at most 64 bytes).
    public var requestID: String?

    public init(actor: String, ownerID: Int64?, action: String, detail: AuditDetail? = nil, requestID: String? = nil) {
        self.actor = actor
        self.ownerID = ownerID
        self.action = action
        self.detail = detail
        self.requestID = requestID
    }

    /// The entry for an action taken on behalf of `audit` (its actor and request id).
    public init(_ audit: AuditContext, ownerID: Int64?, action: String, detail: AuditDetail? = nil) {
        self.init(actor: audit.actor, ownerID: ownerID, action: action, detail: detail, requestID: audit.requestID)
    }
}
