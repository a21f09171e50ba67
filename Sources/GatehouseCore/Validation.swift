// Copyright (c) the Gatehouse authors

/// Input checks shared by the tenant-facing operations.
public enum Validation {
    /// A pragmatic e-mail check: one `@`, a non-empty local part, a dotted domain, no spaces, ≤ 120 characters.
    public static func isEmail(_ text: String) -> Bool {
        guard text.count <= 120, !text.contains(where: \.isWhitespace) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
    }
}
