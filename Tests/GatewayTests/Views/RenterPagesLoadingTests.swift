// Copyright (c) the Gatehouse authors
import Foundation
import Gateway
import Testing
import GatehouseCore

@Suite struct RenterPagesLoadingTests {
    /// A private copy of the bundled templates that a test may break.
    private func copyOfTemplates() throws -> URL {
        let source = try #require(RenterPages.bundledTemplatesDirectory)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("renter-templates-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: copy)
        return copy
    }

    @Test func bundledTemplatesLoad() throws {
        let pages = try RenterPages()
        #expect(pages.errorPage(.linkInvalid(page: PageContext(locale: .vi, nonce: "n"))).contains("HTTP 403"))
    }

    @Test(arguments: RenterPages.templateNames.map { "\($0).mustache" } + RenterPages.assetNames)
    func missingFileStopsStartUpNamingIt(fileName: String) throws {
        let directory = try copyOfTemplates()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.removeItem(at: directory.appendingPathComponent(fileName))

        let error = try #require(throws: RenterPagesError.self) { try RenterPages(templatesDirectory: directory) }
        #expect(error.code == .templateMissing)
        #expect(error.templateName == fileName)
        #expect(error.description.contains(fileName))
    }

    @Test func malformedTemplateStopsStartUpNamingIt() throws {
        let directory = try copyOfTemplates()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "{{#open}} never closed".write(to: directory.appendingPathComponent("success.mustache"), atomically: true, encoding: .utf8)

        let error = try #require(throws: RenterPagesError.self) { try RenterPages(templatesDirectory: directory) }
        #expect(error.code == .templateInvalid)
        #expect(error.description == "RenterPagesError.templateInvalid: success.mustache")
    }

    @Test func missingDirectoryIsReported() throws {
        let nowhere = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-templates-\(UUID().uuidString)")
        let error = try #require(throws: RenterPagesError.self) { try RenterPages(templatesDirectory: nowhere) }
        #expect(error.code == .templatesDirectoryMissing)
    }
}
