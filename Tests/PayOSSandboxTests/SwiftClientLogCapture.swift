// Copyright (c) the Gatehouse authors
import Logging
import Synchronization
import Testing

/// Records what our `PayOSClient` logs: its per-attempt records are how a test counts attempts and reads retry
/// waits, and every record is checked for key material.
final class SwiftClientLogCapture: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]

        var text: String { ([message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    /// A trace-level logger that writes here.
    var logger: Logger {
        var logger = Logger(label: "SwiftClientScenario") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Forgets what was recorded (between the phases of one test).
    func reset() {
        records.withLock { $0.removeAll() }
    }

    /// The client's outcome record of each attempt of `operation`: "succeeded", "failed, retrying" or "failed"
    /// (a signature warning carries the attempt's metadata too, but is not an outcome).
    func attempts(of operation: String) -> [Record] {
        all.filter { $0.metadata["payos.operation"] == operation && $0.metadata["payos.attempt"] != nil && $0.message.hasPrefix("payOS call ") }
    }

    /// Fails the test when any record contains one of `secrets`.
    func expectNoSecrets(_ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for record in all {
            for secret in secrets where record.text.contains(secret) {
                Issue.record("a key appeared in a log record: \(record.message)", sourceLocation: sourceLocation)
            }
        }
    }

    private func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    private struct Handler: LogHandler {
        let capture: SwiftClientLogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            merged.merge(event.metadata ?? [:]) { $1 }
            capture.append(Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
