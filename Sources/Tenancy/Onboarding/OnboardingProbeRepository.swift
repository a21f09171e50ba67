// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// Onboarding attempts and the payOS probes recorded for them (`onboarding_attempt`, `onboarding_probe`).
///
/// The database is the meeting point of the instance that starts a proof and whichever instance payOS's probe
/// reaches behind the proxy: no sticky sessions, no instance-to-instance calls. Neither table ever holds a key — only
/// the probe body payOS sent, which is signed data about a sample transfer.
public struct OnboardingProbeRepository: Sendable {
    /// The most probes kept for one attempt: payOS sends one, so more means someone else is posting to the owner's URL;
    /// the cap keeps such noise from growing the table, while the real probe still lands as long as it is among the first.
    public static let maximumProbesPerAttempt = 16

    let database: any SQLDatabase
    let clock: WallClock

    public init(database: any SQLDatabase, clock: WallClock = .system) {
        self.database = database
        self.clock = clock
    }

    /// Opens an attempt for `owner` that accepts probes until `lifetimeMillis` from now.
    /// - Returns: the attempt's id.
    public func open(owner: OwnerID, lifetimeMillis: Int64, logger: Logger) async throws -> Int64 {
        let now = clock.now()
        let result = try await database.execute(
            "INSERT INTO onboarding_attempt (owner_id, started_at, expires_at) VALUES (\(owner), \(now), \(now + lifetimeMillis))",
            logger: logger)
        guard let id = result.lastInsertID else { throw StorageError(code: .statementFailed, message: "no id for the onboarding attempt") }
        return id
    }

    /// Records `body` against every open attempt of `owner` (one statement, so no instance races another).
    /// - Returns: whether any attempt was open, i.e. whether the body was taken as an onboarding probe.
    public func record(owner: OwnerID, body: [UInt8], logger: Logger) async throws -> Bool {
        let now = clock.now()
        let text = String(decoding: body, as: UTF8.self)
        let inserted = try await database.execute(
            """
            INSERT INTO onboarding_probe (attempt_id, body, received_at)
            SELECT a.id, \(text), \(now) FROM onboarding_attempt a
            WHERE a.owner_id = \(owner) AND a.expires_at > \(now)
                AND (SELECT COUNT(*) FROM onboarding_probe p WHERE p.attempt_id = a.id) < \(Self.maximumProbesPerAttempt)
            """, logger: logger)
        return inserted.affectedRows > 0
    }

    /// Whether `owner` has an attempt accepting probes now.
    public func hasOpenAttempt(owner: OwnerID, logger: Logger) async throws -> Bool {
        try await !database.query(
            "SELECT id FROM onboarding_attempt WHERE owner_id = \(owner) AND expires_at > \(clock.now()) LIMIT 1", logger: logger
        ).isEmpty
    }

    /// The probe bodies recorded for an attempt, oldest first.
    public func probes(attempt: Int64, logger: Logger) async throws -> [[UInt8]] {
        try await database.query("SELECT body FROM onboarding_probe WHERE attempt_id = \(attempt) ORDER BY id", logger: logger)
            .map { Array(try $0.decode("body", as: String.self).utf8) }
    }

    /// Removes an attempt and its probes.
    public func close(attempt: Int64, logger: Logger) async throws {
        try await database.withTransaction(logger: logger) { connection in
            try await connection.execute("DELETE FROM onboarding_probe WHERE attempt_id = \(attempt)")
            try await connection.execute("DELETE FROM onboarding_attempt WHERE id = \(attempt)")
        }
    }

    /// Removes attempts (and their probes) that expired before `now − graceMillis`: left behind by a crashed instance.
    @discardableResult
    public func purgeExpired(graceMillis: Int64 = 60_000, logger: Logger) async throws -> Int {
        let cutoff = clock.now() - graceMillis
        return try await database.withTransaction(logger: logger) { connection in
            try await connection.execute(
                "DELETE FROM onboarding_probe WHERE attempt_id IN (SELECT id FROM onboarding_attempt WHERE expires_at < \(cutoff))")
            return try await connection.execute("DELETE FROM onboarding_attempt WHERE expires_at < \(cutoff)").affectedRows
        }
    }
}
