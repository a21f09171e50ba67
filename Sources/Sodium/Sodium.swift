// Copyright (c) the Gatehouse authors
import CSodium

/// The process-wide libsodium runtime.
///
/// `sodium_init()` must run once before any other libsodium call. A `static let` is initialised by
/// Swift exactly once, thread-safely, so every entry point of this module reads ``SodiumRuntime/ready``.
package enum SodiumRuntime {
    /// `true` once libsodium is initialised. Initialisation only fails when the system has no
    /// usable randomness source, in which case nothing secure can run at all.
    package static let ready: Bool = {
        let status = sodium_init()
        precondition(status >= 0, "libsodium could not be initialised")
        return true
    }()
}
