// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseHTTP
import Logging
import Synchronization
import Testing

/// Request metadata set on a deferring logger reaches the lines that are logged exactly as it did when it was set on
/// swift-log's `StreamLogHandler` itself: same text, same precedence, same removals, same level.
@Suite struct DeferredLogMetadataWritesTheSameLines {
    /// Collects what a `StreamLogHandler` writes (its only state is behind a `Mutex`).
    final class Lines: TextOutputStream, Sendable {
        private let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        /// The lines without their leading timestamp (two loggers may log in different seconds).
        var withoutTimestamps: [String] {
            lines.withLock { $0 }.map { line in String(line.drop { $0 != " " }) }
        }
    }

    struct LazyValue: CustomStringConvertible, Sendable {
        let text: String
        var description: String { text }
    }

    /// The same request-style sequence of metadata changes and log calls, on `logger`.
    static func exercise(_ logger: Logger) {
        var logger = logger
        logger[metadataKey: "hb.request.id"] = "hb-1"
        logger[metadataKey: "request.id"] = .string("abc")
        logger[metadataKey: "client.ip"] = .stringConvertible(LazyValue(text: "192.0.2.7"))
        logger.debug("not written at info")
        logger.info("plain")
        logger.error("explicit wins", metadata: ["request.id": "explicit", "error.code": "X"])
        logger[metadataKey: "service"] = nil
        logger[metadataKey: "client.ip"] = "198.51.100.1"
        logger.warning("after changes")
        var child = logger
        child[metadataKey: "tenant.id"] = "9"
        child.notice("child")
        logger.notice("parent unchanged")
    }

    static func streamLogger(_ lines: Lines) -> Logger {
        var logger = Logger(label: "gatehouse.test") { StreamLogHandler(label: $0, stream: lines, metadataProvider: nil) }
        logger.logLevel = .info
        logger[metadataKey: "service"] = "gateway"
        return logger
    }

    @Test func linesMatchStreamLogHandlerWithMetadataSetOnIt() {
        let direct = Lines()
        let deferred = Lines()
        Self.exercise(Self.streamLogger(direct))
        Self.exercise(Self.streamLogger(deferred).deferringMetadataFormatting())
        #expect(direct.withoutTimestamps.count == 5)
        #expect(deferred.withoutTimestamps == direct.withoutTimestamps)
    }

    @Test func aValueIsDescribedOnlyWhenALineIsLogged() {
        final class Counted: CustomStringConvertible, Sendable {
            let count = Mutex(0)
            var description: String {
                count.withLock { $0 += 1 }
                return "v"
            }
        }
        let value = Counted()
        let lines = Lines()
        var logger = Self.streamLogger(lines).deferringMetadataFormatting()
        logger[metadataKey: "client.ip"] = .stringConvertible(value)
        logger[metadataKey: "request.id"] = "r"
        logger.debug("below the level")
        #expect(value.count.withLock { $0 } == 0)
        logger.info("logged")
        #expect(value.count.withLock { $0 } == 1)
        #expect(logger[metadataKey: "request.id"] == "r")
        #expect(logger.handler.metadata["service"] == "gateway")
    }
}
