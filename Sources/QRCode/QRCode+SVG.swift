// Copyright (c) the Gatehouse authors
import GatehouseCore

extension QRCode {
    /// The quiet zone the QR specification requires around a symbol, in modules.
    public static let standardQuietZone = 4

    /// The symbol as a standalone SVG document: one `<path>` of dark rectangles on a white background.
    ///
    /// The `viewBox` is in modules (`size + 2·quietZone` per side), so the picture scales cleanly to any size;
    /// `shape-rendering="crispEdges"` stops anti-aliasing from blurring module edges (which hurts scanning).
    /// The output depends only on the modules, so equal inputs give byte-identical SVG.
    ///
    /// - Parameters:
    ///   - quietZone: Light border in modules; 4 by default, as the specification asks.
    ///   - pixelSize: When given, the `width`/`height` attributes in CSS pixels; otherwise the SVG fills its container.
    ///   - darkColor: Fill of dark modules (any CSS colour without quotes or angle brackets).
    ///   - lightColor: Background fill.
    /// - Returns: An `<svg>` element with its XML namespace, ready to inline in HTML or save as `.svg`.
    public func svg(
        quietZone: Int = QRCode.standardQuietZone,
        pixelSize: Int? = nil,
        darkColor: String = "#000",
        lightColor: String = "#fff"
    ) -> String {
        precondition(quietZone >= 0, "quiet zone must not be negative")
        let total = size + 2 * quietZone
        var path = ""
        path.reserveCapacity(size * size * 3)
        // One subpath per horizontal run of dark modules keeps the path short (about a third of per-module rects).
        for row in 0..<size {
            var column = 0
            while column < size {
                guard modules[row * size + column] else {
                    column += 1
                    continue
                }
                let start = column
                while column < size, modules[row * size + column] { column += 1 }
                path += "M\(start + quietZone) \(row + quietZone)h\(column - start)v1h-\(column - start)z"
            }
        }
        let dimensions = pixelSize.map { " width=\"\($0)\" height=\"\($0)\"" } ?? ""
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(total) \(total)\"\(dimensions)"
            + " shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(total)\" height=\"\(total)\" fill=\"\(Self.attributeSafe(lightColor))\"/>"
            + "<path fill=\"\(Self.attributeSafe(darkColor))\" d=\"\(path)\"/>"
            + "</svg>"
    }

    /// The SVG of ``svg(quietZone:pixelSize:darkColor:lightColor:)`` as a `data:image/svg+xml;base64,…` URI,
    /// for `<img src>` or CSS where inline SVG is not possible.
    public func svgDataURI(quietZone: Int = QRCode.standardQuietZone, pixelSize: Int? = nil) -> String {
        "data:image/svg+xml;base64," + Base64Text.encode(Array(svg(quietZone: quietZone, pixelSize: pixelSize).utf8))
    }

    /// Drops characters that could break out of an attribute value; colours never contain them.
    private static func attributeSafe(_ value: String) -> String {
        String(value.filter { $0 != "\"" && $0 != "<" && $0 != ">" && $0 != "&" })
    }
}
