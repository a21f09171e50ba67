// Copyright (c) the Gatehouse authors
public import Foundation
import Mustache
import GatehouseCore

/// Renders the renter's payment pages (status, success, failed, error) to HTML.
///
/// Every template, the stylesheet and the script are read from the bundled `Templates` folder once, when the value
/// is created; a missing or malformed file throws ``RenterPagesError`` naming it, so the application refuses to start
/// instead of failing on a renter's phone. After that, rendering touches no files and no shared mutable state,
/// which is why the type is a `Sendable` value that controllers can hold and call from any request.
///
/// Pages are self-contained: CSS and JavaScript are inlined in `<style>` / `<script>` elements carrying the model's
/// nonce, and nothing is loaded from another origin (no fonts, no CDN), so the controller can send a strict CSP:
/// `default-src 'none'; script-src 'nonce-N'; style-src 'nonce-N'; img-src 'self' data: blob:; connect-src 'self';
/// base-uri 'none'; form-action 'self'; frame-ancestors 'none'` (`img-src data: blob:` only serves "Save QR image").
///
/// Escaping: every value goes through mustache's HTML escaping (`{{…}}`, which also escapes quotes, so values are
/// safe inside attributes). Exactly three things are inserted raw (`{{{…}}}`): our own stylesheet and script from
/// the bundle, and the QR code SVG, which comes only from our QR renderer (see ``StatusPageModel/qrSVG``).
public struct RenterPages: Sendable {
    /// The mustache templates the pages need.
    public static let templateNames = ["layout", "countdown", "status", "success", "failed", "error"]
    /// The stylesheet and script inlined into the pages.
    public static let assetNames = ["renter.css", "status.js"]

    private let library: MustacheLibrary
    private let stylesheet: String
    private let statusScript: String

    /// The `Templates` folder bundled with the Gateway module, if the bundle has one.
    public static var bundledTemplatesDirectory: URL? {
        Bundle.module.url(forResource: "Templates", withExtension: nil)
    }

    // MARK: Initialization

    /// Loads the templates bundled with the Gateway module.
    /// - Throws: ``RenterPagesError`` naming the first missing or invalid file.
    public init() throws {
        guard let directory = Self.bundledTemplatesDirectory else {
            throw RenterPagesError(.templatesDirectoryMissing, templateName: "", detail: "no Templates folder in \(Bundle.module.bundlePath)")
        }
        try self.init(templatesDirectory: directory)
    }

    /// Loads the templates from `templatesDirectory` (tests use this to prove a missing template stops start-up).
    /// - Throws: ``RenterPagesError`` naming the first missing or invalid file.
    public init(templatesDirectory: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: templatesDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RenterPagesError(.templatesDirectoryMissing, templateName: "", detail: templatesDirectory.path)
        }
        var library = MustacheLibrary()
        for name in Self.templateNames {
            let fileName = "\(name).mustache"
            let text = try Self.read(fileName, in: templatesDirectory)
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch {
                throw RenterPagesError(.templateInvalid, templateName: fileName, detail: String(describing: error))
            }
        }
        self.library = library
        self.stylesheet = try Self.read("renter.css", in: templatesDirectory)
        self.statusScript = try Self.read("status.js", in: templatesDirectory)
    }

    private static func read(_ fileName: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw RenterPagesError(.templateMissing, templateName: fileName, detail: url.path)
        }
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw RenterPagesError(.templateUnreadable, templateName: fileName, detail: url.path)
        }
        return text
    }

    // MARK: Pages

    /// The status page: QR code, transfer details with copy buttons, countdown, and a status that updates itself.
    func statusPage(_ model: StatusPageModel) -> String {
        render("status", StatusView(model, chrome: chrome(model.page), script: statusScript))
    }

    /// The receipt shown after a successful payment.
    func successPage(_ model: SuccessPageModel) -> String {
        render("success", SuccessView(model, chrome: chrome(model.page)))
    }

    /// The page for a payment that failed, was cancelled or expired; its title and explanation say which.
    func failedPage(_ model: FailedPageModel) -> String {
        render("failed", FailedView(model, chrome: chrome(model.page)))
    }

    /// A generic error page (status code and message), e.g. 404 "Không tìm thấy thanh toán".
    public func errorPage(_ model: ErrorPageModel) -> String {
        render("error", ErrorView(model, chrome: chrome(model.page)))
    }

    // MARK: Rendering

    /// The layout's fields; each page's view sets the title.
    private func chrome(_ page: PageContext) -> Chrome {
        Chrome(
            lang: page.locale.code,
            otherLang: page.locale.other.code,
            toggleURL: page.locale.toggleQuery,
            nonce: page.nonce,
            title: "",
            css: stylesheet
        )
    }

    private func render(_ template: String, _ view: some PageView) -> String {
        // Every template is registered in `init`, so a nil here is a programming error in this file.
        guard let html = library.render(MustacheContext.make(view), withTemplate: template) else {
            preconditionFailure("template \(template) was not loaded")
        }
        return html
    }
}
