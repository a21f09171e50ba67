// Copyright (c) the Gatehouse authors
public import Foundation
import Mustache
import GatehouseCore

/// Renders the owner console's pages from the Gateway bundle's `console-*.mustache` templates and `console.css`.
///
/// Loaded once at start-up; a missing or malformed file stops the application (``RenterPagesError`` names it).
/// Values are HTML-escaped by mustache (`{{…}}`); raw (`{{{…}}}`) are only the bundled stylesheet, the page body
/// rendered from our own template, and ``SVGChart`` output (which escapes its text).
public struct ConsolePages: Sendable {
    static let templateNames = ["layout", "signin", "overview", "payments", "keys", "key-created", "credentials", "message"]

    // `MustacheLibrary` is a value type holding parsed templates; it is only read after init.
    private let library: MustacheLibrary
    private let css: String

    public init(templatesDirectory: URL? = nil) throws {
        guard let directory = templatesDirectory ?? RenterPages.bundledTemplatesDirectory else {
            throw RenterPagesError(.templatesDirectoryMissing, templateName: "", detail: "no Templates folder")
        }
        func read(_ name: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw RenterPagesError(.templateMissing, templateName: name, detail: path)
            }
            return text
        }
        var library = MustacheLibrary()
        for name in Self.templateNames {
            let file = "console-\(name).mustache"
            let text = try read(file)
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch {
                throw RenterPagesError(.templateInvalid, templateName: file, detail: String(describing: error))
            }
        }
        self.library = library
        self.css = try read("console.css")
    }

    /// What every page shows around its body.
    struct Chrome {
        var locale: PageLocale
        var title: String
        var nonce: String
        var csrf: String
        /// The signed-in owner's name (navigation and sign-out are shown only then).
        var ownerName: String?
        /// Which navigation entry is the current page.
        var current: String?
        var flash: String?
        var error: String?
    }

    /// `template` with `model`, inside the layout.
    func render(_ template: String, model: [String: Any], chrome: Chrome) -> String {
        let strings = ConsoleStrings.table(chrome.locale)
        var model = model
        model["s"] = strings
        model["csrf"] = chrome.csrf
        var layout: [String: Any] = [
            "lang": chrome.locale.code, "otherLang": chrome.locale.other.code, "title": chrome.title, "nonce": chrome.nonce, "css": css,
            "csrf": chrome.csrf, "s": strings, "main": library.render(model, withTemplate: template) ?? "",
        ]
        if let name = chrome.ownerName {
            layout["signedIn"] = true
            layout["ownerName"] = name
            layout["nav"] = ["overview", "payments", "api-keys", "credentials"].map { page -> [String: Any] in
                let key = ["api-keys": "apiKeys"][page] ?? page
                return ["href": "/owner/\(page)", "id": "nav-\(page)", "text": strings[key] ?? key, "current": page == chrome.current]
            }
        }
        if let flash = chrome.flash { layout["flash"] = flash }
        if let error = chrome.error { layout["error"] = error }
        return library.render(layout, withTemplate: "layout") ?? ""
    }
}
