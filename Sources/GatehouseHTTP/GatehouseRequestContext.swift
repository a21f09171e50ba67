// Copyright (c) the Gatehouse authors
public import Hummingbird
import Logging
public import NIOCore
import Tenancy
import GatehouseCore

/// What every Gatehouse request context carries, whichever principal it holds: the request id.
public protocol GatehouseContext: RequestContext {
    /// A random id for this request, in logs, audit rows and the `X-Request-ID` response header.
    var requestID: String { get }
}

/// The request context every route starts in: the request id and the socket peer. It carries no principal a handler
/// could read: routes that need one are mounted in a child context (``OwnerRequestContext``, ``RenterRequestContext``,
/// ``NotificationReaderContext``, ``AdminRequestContext``) that can only be built once the access middleware of their
/// group has recognised it.
public struct GatehouseRequestContext: RequestContext, RemoteAddressRequestContext, GatehouseContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    /// The socket peer (the client, or the reverse proxy in front of Gatehouse; see ``ClientAddressMiddleware``).
    public let remoteAddress: SocketAddress?
    /// What the access middleware of the route's group recognised. Module-internal: written only by the access
    /// middleware here, read only by the child contexts and ``RateLimitMiddleware``.
    var access = RequestAccess()

    public init(source: Source) {
        self.remoteAddress = source.channel.remoteAddress
        self.requestID = RandomToken.base32(count: 16)
        self.coreContext = .init(source: source)
        self.logger[metadataKey: "request.id"] = .string(requestID)
    }

    /// API bodies are small; anything larger is refused with 413 before it is read into memory.
    public var maxUploadSize: Int { Self.maxUploadSize }

    /// The body limit of every Gatehouse context (child contexts included).
    static let maxUploadSize = 64 * 1024
}
