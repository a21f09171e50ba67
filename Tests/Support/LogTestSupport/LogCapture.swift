// Copyright (c) the Gatehouse authors
public import Logging
import Synchronization
public import Testing

/// Every log record written through its loggers, kept in memory: tests read what was logged (a client's attempts,
/// a poller's warnings) and prove that no secret ever reaches a log line.
public final class LogCapture: Sendable {
    /// One log record, its metadata (the logger's merged with the call's) rendered as text.
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]

        /// The record as one line: level, message, then `key=value` in key order.
        public var text: String {
            (["\(level)", message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        }
    }

    private let records = Mutex<[Record]>([])

    public init() {}

    /// A trace-level logger that writes here.
    public var logger: Logger {
        var logger = Logger(label: "gatehouse.test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Every record so far, oldest first.
    public var all: [Record] { records.withLock { $0 } }

    /// Every record as a line of text, joined by newlines (what a log file would hold).
    public var text: String { all.map(\.text).joined(separator: "\n") }

    /// Forgets what was recorded (between the phases of one test).
    public func reset() {
        records.withLock { $0.removeAll() }
    }

    /// Fails the test for each record that contains one of `secrets` (anywhere: message or metadata).
    public func expectNoSecrets(_ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for record in all {
            for secret in secrets where !secret.isEmpty && record.text.contains(secret) {
                Issue.record("a secret appeared in a log record: \(record.message)", sourceLocation: sourceLocation)
            }
        }
    }

    private func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
