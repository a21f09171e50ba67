// Copyright (c) the Gatehouse authors
import Foundation
import Testing

@testable import Gateway
import GatehouseCore

@Suite struct PageStringsTests {
    /// Every `{{s.name}}` (and `{{#s.name}}`…) the templates use.
    private func stringNamesUsedByTemplates() throws -> Set<String> {
        let directory = try #require(RenterPages.bundledTemplatesDirectory)
        let regex = try NSRegularExpression(pattern: #"\{\{\{?[#^/]?\s*s\.([A-Za-z0-9_]+)"#)
        var names: Set<String> = []
        for name in RenterPages.templateNames {
            let text = try String(contentsOf: directory.appendingPathComponent("\(name).mustache"), encoding: .utf8)
            for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        return names
    }

    @Test(arguments: PageLocale.allCases)
    func everyStringATemplateUsesExists(locale: PageLocale) throws {
        let used = try stringNamesUsedByTemplates()
        #expect(used.count > 20)
        let table = PageStrings.templateTable(locale)
        #expect(used.subtracting(table.keys).sorted() == [])
    }

    @Test func noStringIsEmptyOrLeftUntranslated() {
        let vi = PageStrings.templateTable(.vi)
        let en = PageStrings.templateTable(.en)
        #expect(Set(vi.keys) == Set(en.keys))
        for (name, text) in vi {
            #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "vi.\(name) is empty")
            #expect(!(en[name] ?? "").trimmingCharacters(in: .whitespaces).isEmpty, "en.\(name) is empty")
        }
        // Only names, codes and shared words may be the same in both languages.
        let identical = vi.keys.filter { vi[$0] == en[$0] }
        #expect(identical.sorted() == [])
    }
}
