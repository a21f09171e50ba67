// Copyright (c) the Gatehouse authors
public import Hummingbird
import PayOS

/// The sandbox's request context. `channel` is set by ``PayOSAuthMiddleware`` on payOS routes.
public struct SandboxRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated channel (payOS routes only).
    var channel: SandboxChannel?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// payOS bodies are small; 1 MiB leaves room for long item lists.
    public var maxUploadSize: Int { 1 << 20 }
}

/// Context of payOS endpoints: a channel is guaranteed, so handlers cannot forget authentication.
struct ChannelRequestContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: SandboxChannel
    /// Set by the fault middleware: how this call's signed success answer is spoiled, if at all.
    var answerFault: AnswerFault?

    init(context: SandboxRequestContext) throws {
        guard let channel = context.channel else {
            // Only reachable if the auth middleware were missing from the group: fail closed.
            throw HTTPError(.unauthorized)
        }
        self.coreContext = context.coreContext
        self.channel = channel
    }

    var maxUploadSize: Int { 1 << 20 }
}

extension ChannelRequestContext {
    /// A success envelope signed with the channel's checksum key — or, under an answer fault, one whose signature
    /// does not verify (last hex digit changed, still 64 lowercase hex characters), has no signature, or whose
    /// `data` is null. The channel's ``SandboxChannel/extraFields`` are added to `data` before signing.
    func signedSuccess(_ data: JSONObject) -> PayOSEnvelope {
        var envelope = PayOSEnvelope.success(channel.addingExtraFields(to: data), signedWith: channel.checksumKey)
        switch answerFault {
        case nil:
            break
        case .invalidSignature:
            if let signature = envelope.body["signature"]?.stringValue, let last = signature.last {
                envelope.body["signature"] = .string(signature.dropLast() + (last == "0" ? "1" : "0"))
            }
        case .missingSignature:
            envelope.body["signature"] = nil
        case .nullData:
            envelope.body = ["code": "00", "desc": "success", "data": .null]
        }
        return envelope
    }
}
