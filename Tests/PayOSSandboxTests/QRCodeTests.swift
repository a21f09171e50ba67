// Copyright (c) the Gatehouse authors
import Foundation
import QRCode
import Testing

@Suite struct QRCodeTests {
    static let vietQR =
        "00020101021238570010A000000727012700069704220113VQRQAFRJT12340208QRIBFTTA53037045405500005802VN62330829CSX3K9QZ7B Thanh toan don 123630440AF"

    // MARK: Tests

    @Test func symbolSizeMatchesItsVersion() throws {
        let code = try QRCode(encoding: Self.vietQR)
        #expect((1...40).contains(code.version))
        #expect(code.size == 17 + 4 * code.version)
        #expect(code.modules.count == code.size * code.size)
        #expect(code.errorCorrection == .medium)
        // 140 bytes at level M need version 8 (7-M holds 122 bytes in byte mode, 8-M 152); longer text, larger symbol.
        #expect(code.version == 8)
        let longer = try QRCode(encoding: String(repeating: "A", count: 400))
        #expect(longer.version > code.version)
    }

    @Test func finderPatternsSitInThreeCorners() throws {
        let code = try QRCode(encoding: "hello")
        let n = code.size
        for (top, left) in [(0, 0), (0, n - 7), (n - 7, 0)] {
            for i in 0..<7 {
                // Outer ring dark, the ring inside it light, 3×3 centre dark.
                #expect(code[top, left + i] && code[top + 6, left + i] && code[top + i, left] && code[top + i, left + 6])
            }
            for i in 1..<6 { #expect(!code[top + 1, left + i] && !code[top + 5, left + i]) }
            for r in 2..<5 { for c in 2..<5 { #expect(code[top + r, left + c]) } }
        }
    }

    @Test func encodingIsDeterministic() throws {
        let first = try QRCode(encoding: Self.vietQR)
        let second = try QRCode(encoding: Self.vietQR)
        #expect(first == second)
        #expect(first.svg() == second.svg())
        #expect(first.svgDataURI() == second.svgDataURI())
        #expect(try QRCode(encoding: Self.vietQR + "x") != first)
    }

    @Test func higherErrorCorrectionNeedsALargerSymbol() throws {
        let low = try QRCode(encoding: Self.vietQR, errorCorrection: .low)
        let high = try QRCode(encoding: Self.vietQR, errorCorrection: .high)
        #expect(high.size > low.size)
        #expect(high.errorCorrection == .high)
    }

    @Test func emptyInputIsRefused() {
        #expect(throws: QRCodeError.emptyInput) { try QRCode(encoding: "") }
    }

    @Test func inputBeyondVersion40IsRefused() {
        // Version 40-M holds 2331 bytes.
        #expect(throws: QRCodeError.inputTooLong) { try QRCode(encoding: String(repeating: "x", count: 2400)) }
        #expect(QRCodeError.inputTooLong.code == "qrcode.input_too_long")
    }

    @Test func svgHasViewBoxInModulesWithQuietZoneAndOnePath() throws {
        let code = try QRCode(encoding: Self.vietQR)
        let svg = code.svg()
        let total = code.size + 8
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(total) \(total)\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(!svg.contains("width=\"\(total)\" height=\"\(total)\" fill=\"#000\""))
        #expect(code.svg(quietZone: 0).contains("viewBox=\"0 0 \(code.size) \(code.size)\""))
        #expect(code.svg(pixelSize: 240).contains(" width=\"240\" height=\"240\""))
    }

    @Test func svgPathCoversExactlyTheDarkModules() throws {
        let code = try QRCode(encoding: Self.vietQR)
        let svg = code.svg()
        let d = try #require(svg.range(of: " d=\"").map { svg[$0.upperBound...].prefix { $0 != "\"" } })
        // Rebuild the matrix from the runs "M<x> <y>h<len>v1h-<len>z".
        var rebuilt = [Bool](repeating: false, count: code.size * code.size)
        for run in d.split(separator: "z") {
            let scanner = run.dropFirst().split(whereSeparator: { " hv".contains($0) })
            let x = try #require(Int(scanner[0])) - 4
            let y = try #require(Int(scanner[1])) - 4
            let length = try #require(Int(scanner[2]))
            for column in x..<(x + length) {
                #expect(!rebuilt[y * code.size + column], "module painted twice")
                rebuilt[y * code.size + column] = true
            }
        }
        #expect(rebuilt == code.modules)
    }

    @Test func dataURIIsBase64OfTheSVG() throws {
        let code = try QRCode(encoding: "Gatehouse")
        let uri = code.svgDataURI()
        let prefix = "data:image/svg+xml;base64,"
        #expect(uri.hasPrefix(prefix))
        let decoded = try #require(Data(base64Encoded: String(uri.dropFirst(prefix.count))))
        #expect(String(decoding: decoded, as: UTF8.self) == code.svg())
    }

    /// Renders the SVG with librsvg and decodes it with zbar: the scanner must return the exact VietQR text.
    @Test(
        .enabled(
            if: ExternalTool.available("zbarimg") && ExternalTool.available("rsvg-convert"),
            "needs zbarimg (zbar-tools) and rsvg-convert (librsvg2-bin)"
        )
    )
    func renderedSVGScansBackToTheExactText() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qrcode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for text in [Self.vietQR, "https://pay.example.vn/web/3f2a9c1e5b7d4e8fa0b1c2d3e4f5a6b7"] {
            let svgURL = directory.appendingPathComponent("code.svg")
            let pngURL = directory.appendingPathComponent("code.png")
            try QRCode(encoding: text).svg(pixelSize: 400).write(to: svgURL, atomically: true, encoding: .utf8)
            let render = try ExternalTool.run("rsvg-convert", ["-o", pngURL.path, svgURL.path])
            #expect(render.status == 0, "rsvg-convert: \(render.output)")
            let scan = try ExternalTool.run("zbarimg", ["--raw", "-q", "-Sbinary", pngURL.path])
            #expect(scan.status == 0, "zbarimg exit \(scan.status)")
            #expect(scan.output.trimmingCharacters(in: .newlines) == text)
        }
    }
}

/// Runs command-line tools for tests that need them.
enum ExternalTool {
    static func available(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains { directory in
            FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)")
        }
    }

    /// Runs a short-lived tool; `output` is its standard output only (zbar prints D-Bus noise on standard error).
    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
