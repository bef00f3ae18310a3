import Foundation
import Testing
@testable import Views

@Suite("SVG charts: accessible, escaped, proportional")
struct SVGChartTests {
    let points = [SVGChart.Point(label: "Mon", value: 2), SVGChart.Point(label: "Tue", value: 4), SVGChart.Point(label: "Wed", value: 0)]

    func heights(_ svg: String) -> [Double] {
        svg.components(separatedBy: "<rect ").dropFirst().compactMap { part in
            guard let range = part.range(of: "height=\"") else { return nil }
            return Double(part[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test func theChartIsAnImageNamedByItsTitleAndDescription() {
        let svg = SVGChart.bars(id: "c1", title: "Per day", description: "Three days", points: points)
        #expect(svg.hasPrefix("<svg "))
        #expect(svg.contains("role=\"img\""))
        #expect(svg.contains("aria-labelledby=\"c1-title c1-desc\""))
        #expect(svg.contains("<title id=\"c1-title\">Per day</title>"))
        #expect(svg.contains("<desc id=\"c1-desc\">Three days</desc>"))
        #expect(svg.hasSuffix("</svg>"))
        // Each bar names its own value for pointer users.
        #expect(svg.contains("<title>Tue: 4</title>"))
        // No inline style: the CSP forbids it.
        #expect(!svg.contains("style="))
    }

    @Test func barHeightsAreProportionalToTheValues() {
        let svg = SVGChart.bars(id: "c", title: "t", description: "d", points: points, size: .init(width: 300, height: 148))
        let bars = heights(svg)
        #expect(bars.count == 3)
        // Plot height 148 - 12 - 36 = 100; the axis top is 5 (next round number above 4).
        #expect(bars == [40, 80, 0])
    }

    @Test func everyTextIsEscaped() {
        let svg = SVGChart.bars(id: "x\"y", title: "<script>alert(1)</script>", description: "a & b",
                                points: [SVGChart.Point(label: "O'Brien <3", value: 1)])
        #expect(!svg.contains("<script>"))
        #expect(svg.contains("&lt;script&gt;"))
        #expect(svg.contains("a &amp; b"))
        #expect(svg.contains("O&#39;Brien &lt;3"))
        #expect(svg.contains("id=\"x&quot;y-title\""))
    }

    @Test func anEmptyOrAllZeroChartStillRenders() {
        let svg = SVGChart.bars(id: "e", title: "Nothing", description: "No data", points: [])
        #expect(svg.contains("<title id=\"e-title\">Nothing</title>"))
        #expect(heights(SVGChart.bars(id: "z", title: "t", description: "d", points: [.init(label: "a", value: 0)])) == [0])
    }

    @Test func manyBarsGetOnlySomeAxisLabels() {
        let many = (1...31).map { SVGChart.Point(label: "d\($0)", value: Double($0)) }
        let svg = SVGChart.bars(id: "m", title: "t", description: "d", points: many)
        let labels = svg.components(separatedBy: "<text ").count - 1 - 3  // minus the three axis values
        #expect(labels <= 12 && labels >= 8)
        #expect(heights(svg).count == 31)
    }

    @Test func axisTopsAreRoundNumbers() {
        #expect(SVGChart.niceCeiling(0) == 1)
        #expect(SVGChart.niceCeiling(4) == 5)
        #expect(SVGChart.niceCeiling(7) == 10)
        #expect(SVGChart.niceCeiling(13) == 20)
        #expect(SVGChart.niceCeiling(100) == 100)
    }
}
