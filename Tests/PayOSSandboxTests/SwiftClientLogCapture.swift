// Copyright (c) the Gatehouse authors
import LogTestSupport

/// What our `PayOSClient` logs is how a scenario counts attempts and reads retry waits.
extension LogCapture {
    /// The client's outcome record of each attempt of `operation`: "succeeded", "failed, retrying" or "failed"
    /// (a signature warning carries the attempt's metadata too, but is not an outcome).
    func attempts(of operation: String) -> [Record] {
        all.filter { $0.metadata["payos.operation"] == operation && $0.metadata["payos.attempt"] != nil && $0.message.hasPrefix("payOS call ") }
    }
}
