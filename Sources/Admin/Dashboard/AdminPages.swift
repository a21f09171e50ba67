// Copyright (c) the Gatehouse authors
import Foundation
import Mustache
import GatehouseCore

/// Renders the dashboard's pages from the bundled mustache templates.
///
/// Templates and the stylesheet are read once at start-up (a missing or malformed one stops the application with an
/// error naming it). Values are HTML-escaped by mustache (`{{…}}`); inserted raw (`{{{…}}}`) are only the bundled
/// stylesheet, the page body rendered from our own template, and SVG charts from ``SVGChart`` (which escapes its text).
public struct AdminPages: Sendable {
    public static let templateNames = ["layout", "signin", "overview", "owners", "owner", "vault", "notifications", "refunds", "audit"]

    /// A problem loading the dashboard's templates.
    public struct LoadError: Error, CustomStringConvertible {
        public let file: String
        public var description: String { "AdminPages.LoadError(\(file))" }
    }

    // `MustacheLibrary` is a value type holding parsed templates; it is only read after init.
    private let library: MustacheLibrary
    private let css: String

    public init() throws {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else { throw LoadError(file: "Templates") }
        var library = MustacheLibrary()
        for name in Self.templateNames {
            let file = directory.appendingPathComponent("\(name).mustache")
            guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
                throw LoadError(file: "\(name).mustache")
            }
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch {
                throw LoadError(file: "\(name).mustache")
            }
        }
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("admin.css").path) else {
            throw LoadError(file: "admin.css")
        }
        self.library = library
        self.css = String(decoding: data, as: UTF8.self)
    }

    /// What every page shows around its body.
    struct Chrome {
        var locale: PageLocale
        var title: String
        var nonce: String
        var csrf: String
        var adminName: String?
        var flash: String?
        var error: String?
    }

    /// Renders `template` with `model` into the layout.
    func render(_ template: String, model: [String: Any], chrome: Chrome) -> String {
        let strings = AdminStrings.table(chrome.locale)
        var model = model
        model["s"] = strings
        model["csrf"] = chrome.csrf
        let main = library.render(model, withTemplate: template) ?? ""
        var layout: [String: Any] = [
            "lang": chrome.locale.code, "otherLang": chrome.locale.other.code, "title": chrome.title, "nonce": chrome.nonce, "css": css,
            "csrf": chrome.csrf, "s": strings, "main": main,
        ]
        if let name = chrome.adminName {
            layout["signedIn"] = true
            layout["adminName"] = name
        }
        if let flash = chrome.flash { layout["flash"] = flash }
        if let error = chrome.error { layout["error"] = error }
        return library.render(layout, withTemplate: "layout") ?? ""
    }
}
