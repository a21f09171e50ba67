// Copyright (c) the Gatehouse authors
import GatehouseCore

/// A small server-side SVG chart: a line or bars over evenly spaced points, with a y-axis scale and x labels.
///
/// Output is a self-contained `<svg>` with no script and no external reference, so it needs nothing from the page's
/// CSP. Every text it contains (title, labels) is XML-escaped here, because the dashboard inserts the SVG raw.
public struct SVGChart: Sendable {
    public enum Style: Sendable { case line, bars }

    public var title: String
    public var style: Style
    /// One value per point; `nil` is a gap (no data).
    public var values: [Double?]
    /// Labels under some points (index → text); keep them sparse.
    public var xLabels: [Int: String]
    /// Formats a y-axis value (e.g. "75%", "1.2 s").
    public var formatY: @Sendable (Double) -> String
    /// The top of the y-axis; `nil` picks the largest value (at least 1).
    public var yMax: Double?

    public var width = 640
    public var height = 220

    public init(
        title: String, style: Style, values: [Double?], xLabels: [Int: String] = [:], yMax: Double? = nil,
        formatY: @escaping @Sendable (Double) -> String
    ) {
        self.title = title
        self.style = style
        self.values = values
        self.xLabels = xLabels
        self.yMax = yMax
        self.formatY = formatY
    }

    /// The chart as SVG markup.
    public func render() -> String {
        let left = 56.0, right = 12.0, top = 28.0, bottom = 28.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        let top_ = yMax ?? max(1, values.compactMap { $0 }.max() ?? 1)
        let step = values.count > 1 ? plotWidth / Double(values.count - 1) : plotWidth
        func x(_ i: Int) -> Double { values.count > 1 ? left + Double(i) * step : left + plotWidth / 2 }
        func y(_ v: Double) -> Double { top + plotHeight - min(max(v / top_, 0), 1) * plotHeight }
        func n(_ v: Double) -> String { String(Double(Int((v * 10).rounded())) / 10) }

        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(width) \#(height)" role="img" aria-label="\#(HTMLEscaping.escape(title))" class="chart">"#
        svg += "<title>\(HTMLEscaping.escape(title))</title>"
        svg += #"<text x="\#(n(left))" y="16" class="chart-title">\#(HTMLEscaping.escape(title))</text>"#
        // Grid and y scale: 0, ½, max.
        for fraction in [0.0, 0.5, 1.0] {
            let value = top_ * fraction
            let gy = n(y(value))
            svg += #"<line x1="\#(n(left))" y1="\#(gy)" x2="\#(n(left + plotWidth))" y2="\#(gy)" class="grid"/>"#
            svg += #"<text x="\#(n(left - 6))" y="\#(gy)" text-anchor="end" dominant-baseline="middle" class="axis">\#(HTMLEscaping.escape(formatY(value)))</text>"#
        }
        for (index, label) in xLabels.sorted(by: { $0.key < $1.key }) where values.indices.contains(index) {
            svg += #"<text x="\#(n(x(index)))" y="\#(height - 8)" text-anchor="middle" class="axis">\#(HTMLEscaping.escape(label))</text>"#
        }
        switch style {
        case .bars:
            let barWidth = max(1, min(24, (values.count > 1 ? step : plotWidth) * 0.7))
            for (i, value) in values.enumerated() {
                guard let value else { continue }
                let barTop = y(value)
                svg += #"<rect x="\#(n(x(i) - barWidth / 2))" y="\#(n(barTop))" width="\#(n(barWidth))" height="\#(n(top + plotHeight - barTop))" class="bar"><title>\#(HTMLEscaping.escape(formatY(value)))</title></rect>"#
            }
        case .line:
            // One path segment per run of consecutive values; gaps stay gaps.
            var path = ""
            var penDown = false
            for (i, value) in values.enumerated() {
                guard let value else {
                    penDown = false
                    continue
                }
                path += "\(penDown ? "L" : "M")\(n(x(i))) \(n(y(value)))"
                penDown = true
                svg += #"<circle cx="\#(n(x(i)))" cy="\#(n(y(value)))" r="2.5" class="dot"><title>\#(HTMLEscaping.escape(formatY(value)))</title></circle>"#
            }
            if !path.isEmpty { svg += #"<path d="\#(path)" class="line" fill="none"/>"# }
        }
        if values.allSatisfy({ $0 == nil }) {
            svg += #"<text x="\#(n(left + plotWidth / 2))" y="\#(n(top + plotHeight / 2))" text-anchor="middle" class="empty">—</text>"#
        }
        return svg + "</svg>"
    }
}
