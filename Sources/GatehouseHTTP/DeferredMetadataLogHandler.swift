// Copyright (c) the Gatehouse authors
public import Logging

/// A log handler that keeps metadata set on it aside and hands it to the handler it wraps only when a line is logged.
///
/// Why: every request sets metadata on its logger (Hummingbird's `hb.request.id`, Gatehouse's `request.id` and
/// `client.ip`), and swift-log's `StreamLogHandler` formats *all* of its metadata into a string on every such set
/// — three formatting passes per request, which also resolve the lazy `client.ip` — although most requests log
/// nothing. On the renter's poll that was ~8 % of the process's CPU. Here a set is a dictionary write; the lines
/// that are logged carry the same metadata as before (it is passed as the line's metadata, which the wrapped
/// handler merges over its own, explicit values winning, exactly as a set on it would have), at the same levels.
public struct DeferredMetadataLogHandler: LogHandler {
    /// The handler that writes lines (its own metadata is what the logger had when it was wrapped).
    private var base: any LogHandler
    /// Metadata set since wrapping, merged under each line's explicit metadata.
    private var deferred: Logger.Metadata = [:]

    public init(wrapping base: any LogHandler) {
        self.base = base
    }

    public var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    public var metadata: Logger.Metadata {
        get { base.metadata.merging(deferred) { $1 } }
        set {
            // Whole-dictionary sets are rare (and replace everything): hand them to the wrapped handler as they are.
            base.metadata = newValue
            deferred = [:]
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { deferred[key] ?? base[metadataKey: key] }
        set {
            if let newValue {
                deferred[key] = newValue
            } else {
                // A removal must hide the wrapped handler's value too.
                deferred[key] = nil
                base[metadataKey: key] = nil
            }
        }
    }

    public func log(event: LogEvent) {
        guard !deferred.isEmpty else { return base.log(event: event) }
        var event = event
        event.metadata = deferred.merging(event.metadata ?? [:]) { $1 }
        base.log(event: event)
    }
}

extension Logger {
    /// This logger with metadata sets deferred to the lines that are logged (see ``DeferredMetadataLogHandler``).
    public func deferringMetadataFormatting() -> Logger {
        guard !(handler is DeferredMetadataLogHandler) else { return self }
        var logger = self
        logger.handler = DeferredMetadataLogHandler(wrapping: handler)
        return logger
    }
}
