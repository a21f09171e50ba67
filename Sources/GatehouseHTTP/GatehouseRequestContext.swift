// Copyright (c) the Gatehouse authors
public import Hummingbird
import Logging
public import NIOCore
public import Tenancy
public import GatehouseCore

/// The request context of every Gatehouse route: carries the request id and, once authenticated, the owner.
public struct GatehouseRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A random id for this request, in logs, audit rows and the `X-Request-ID` response header.
    public let requestID: String
    /// The authenticated owner (set by ``OwnerAuthMiddleware``).
    public var ownerID: OwnerID?
    /// The socket peer (the client, or the reverse proxy in front of Gatehouse; see ``ClientAddressMiddleware``).
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.remoteAddress = source.channel.remoteAddress
        self.requestID = RandomToken.base32(count: 16)
        self.coreContext = .init(source: source)
        self.ownerID = nil
        self.logger[metadataKey: "request.id"] = .string(requestID)
    }

    /// API bodies are small; anything larger is refused with 413 before it is read into memory.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The authenticated owner, or 401 when the route was reached without one.
    public func requireOwner() throws -> OwnerID {
        guard let ownerID else { throw APIError.unauthorized }
        return ownerID
    }
}
