// Copyright (c) the Gatehouse authors
import GatehouseHTTP
import Foundation
import Testing

/// The dashboard's server-side SVG charts: what is drawn, gaps, scale, and escaping (the SVG is inserted raw).
@Suite struct SVGChartTests {
    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test func aLineChartDrawsOnePointPerValueAndBreaksAtGaps() {
        let svg = SVGChart(title: "Success", style: .line, values: [50, 100, nil, 0, 25], yMax: 100, formatY: { "\(Int($0))%" }).render()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>"))
        #expect(Self.count("<circle", in: svg) == 4)
        // Two runs → the path lifts the pen once ("M" twice).
        let path = String(svg[svg.range(of: "<path d=\"")!.upperBound...].prefix { $0 != "\"" })
        #expect(Self.count("M", in: path) == 2)
        #expect(Self.count("L", in: path) == 2)
        #expect(svg.contains(">100%<") && svg.contains(">50%<") && svg.contains(">0%<"))
        #expect(!svg.contains("<script"))
    }

    @Test func barsScaleToTheLargestValueAndSkipMissingOnes() {
        let svg = SVGChart(title: "Time", style: .bars, values: [2, nil, 4], formatY: { "\($0) s" }).render()
        #expect(Self.count("class=\"bar\"", in: svg) == 2)
        // The tallest bar reaches the top of the plot (y = 28, the top margin); the other is half as tall.
        #expect(svg.contains("y=\"28.0\""))
        #expect(svg.contains(">4.0 s<"))
    }

    @Test func noDataShowsAnEmptyChartNotAnError() {
        let svg = SVGChart(title: "Empty", style: .line, values: [nil, nil], formatY: { "\($0)" }).render()
        #expect(!svg.contains("<path"))
        #expect(svg.contains("class=\"empty\""))
        #expect(SVGChart(title: "None", style: .bars, values: [], formatY: { "\($0)" }).render().contains("</svg>"))
    }

    @Test func textIsEscapedBecauseTheSVGIsInsertedRaw() {
        let svg = SVGChart(
            title: "<script>alert(1)</script> & \"x\"", style: .line, values: [1], xLabels: [0: "<b>'"], formatY: { _ in "<i>" }
        ).render()
        #expect(!svg.contains("<script") && !svg.contains("<b>") && !svg.contains("<i>"))
        #expect(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
        #expect(svg.contains("&lt;b&gt;&#39;"))
    }
}
