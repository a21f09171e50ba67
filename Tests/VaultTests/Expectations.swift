// Copyright (c) the Gatehouse authors
import Testing
import Vault
import GatehouseCore

/// Expects `body` to throw a ``VaultError`` with `code`.
func expectVaultError<T>(_ code: VaultError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) {
    do {
        _ = try body()
        Issue.record("expected VaultError(\(code)), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as VaultError {
        #expect(error.code == code, "\(error.debugDescription)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected VaultError(\(code)), got \(String(reflecting: error))", sourceLocation: sourceLocation)
    }
}

/// Expects the async `body` to throw a ``VaultError`` with `code`.
func expectVaultError<T>(
    _ code: VaultError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected VaultError(\(code)), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as VaultError {
        #expect(error.code == code, "\(error.debugDescription)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected VaultError(\(code)), got \(String(reflecting: error))", sourceLocation: sourceLocation)
    }
}
