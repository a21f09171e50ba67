// Copyright (c) the Gatehouse authors
public import PayOS
public import Vault
public import Sodium

extension PayOSCredentials {
    /// The strings payOS's headers and HMAC need, copied out of the vault's guarded memory for one call.
    public init(unsealed: UnsealedCredentials) {
        self.init(
            clientId: unsealed.clientID.unprotectedUTF8String() ?? "",
            apiKey: unsealed.apiKey.unprotectedUTF8String() ?? "",
            checksumKey: unsealed.checksumKey.unprotectedUTF8String() ?? "")
    }
}
