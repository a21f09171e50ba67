// Copyright (c) the Gatehouse authors

/// Who is acting, for the audit log: passed to every vault call that reads or changes secrets.
public struct AuditContext: Sendable, Hashable {
    /// The acting principal, e.g. `admin:alice`, `owner:42`, `system:reconciler` (at most 128 bytes).
    public var actor: String
    /// The request id that caused the action, when there is one (at most 64 bytes).
    public var requestID: String?

    public init(actor: String, requestID: String? = nil) {
        self.actor = actor
        self.requestID = requestID
    }
}
