// Copyright (c) the Gatehouse authors

/// Why the renter pages could not be loaded at start-up.
///
/// Loading happens once, before the server accepts requests, so any of these stops the application with a message
/// naming the file — a broken deployment is found at boot, not by the first renter.
public struct RenterPagesError: Error, Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable code for each kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case templatesDirectoryMissing
            case templateMissing
            case templateUnreadable
            case templateInvalid
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The templates folder is not in the bundle (or the given directory does not exist).
        public static let templatesDirectoryMissing = Code(.templatesDirectoryMissing)
        /// A required template or asset file is absent.
        public static let templateMissing = Code(.templateMissing)
        /// A file exists but is not readable UTF-8 text.
        public static let templateUnreadable = Code(.templateUnreadable)
        /// A mustache template does not parse.
        public static let templateInvalid = Code(.templateInvalid)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The file name inside the templates folder, e.g. `status.mustache` (empty for a missing folder).
    public let templateName: String
    /// Where we looked and what the parser said: for logs only.
    let detail: String

    init(_ code: Code, templateName: String, detail: String) {
        self.code = code
        self.templateName = templateName
        self.detail = detail
    }

    /// Names the file: template names are part of the build, never secret, and the operator needs them to fix it.
    public var description: String {
        templateName.isEmpty ? "RenterPagesError.\(code)" : "RenterPagesError.\(code): \(templateName)"
    }

    public var debugDescription: String { "\(description) (\(detail))" }
}
