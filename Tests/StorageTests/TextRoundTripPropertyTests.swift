// Copyright (c) the Gatehouse authors
import PropertyBased
import Storage
import StorageTestSupport
import Testing

/// Row decoding of text and binary columns on both backends: stranger text (emoji, combining marks, right-to-left
/// text, NUL and other control characters, trailing spaces) and arbitrary bytes come back from a real column exactly.
@Suite struct TextRoundTripProperties {
    static let pieces = ["a", " ", "  ", "'", "\"", "\\", "%", "_", "ễ", "Nguyễn Văn An", "😀", "👨‍👩‍👧", "e\u{301}", "שלום", "مرحبا", "\u{0}", "\t", "\u{7F}", "\u{FEFF}", "\u{10FFFF}"]
    static let text = Gen.element(of: pieces).compactMap { $0 }.array(of: 0...24).map { $0.joined() }
    static let bytes = Gen<UInt8>.value(in: 0...255).array(of: 0...80)

    @Test(arguments: TestDatabases.backends)
    func textAndBytesComeBackFromAColumnUnchanged(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createKindsTable()
            await propertyCheck(count: 60, input: Self.text, Self.bytes) { text, bytes in
                // VARCHAR(64) counts code points on MariaDB: keep the label within it.
                let label = String(String.UnicodeScalarView(text.unicodeScalars.prefix(64)))
                let inserted = try await db.execute("INSERT INTO kinds (label, t, b) VALUES (\(label), \(text), \(bytes))", logger: logger)
                let id = try #require(inserted.lastInsertID)
                let row = try #require(try await db.query("SELECT label, t, b FROM kinds WHERE id = \(id)", logger: logger).first)
                #expect(try row.decode("label", as: String.self).utf8.elementsEqual(label.utf8))
                #expect(try row.decode("t", as: String.self).utf8.elementsEqual(text.utf8))
                #expect(try row.decode("b", as: [UInt8].self) == bytes)
                #expect((try? row.decode("b", as: String.self)) == String(validating: bytes, as: UTF8.self))
                let found = try await db.query("SELECT id FROM kinds WHERE label = \(label) AND id = \(id)", logger: logger)
                #expect(found.count == 1)
            }
        }
    }
}
