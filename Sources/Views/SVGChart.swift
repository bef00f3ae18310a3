import Foundation

/// Bar charts drawn on the server as SVG: no script, no chart library, readable without images.
///
/// Accessibility: the `<svg>` is `role="img"` named by its `<title>` and described by its `<desc>`
/// (WAI-ARIA Graphics), each bar carries its own `<title>` as a tooltip, and pages show the same
/// numbers in a table beside the chart, so nothing is only visual. Every text is XML-escaped here,
/// which is why a page may embed the result unescaped.
public enum SVGChart {
    /// One bar: its label on the axis and its value.
    public struct Point: Sendable, Equatable {
        public var label: String
        public var value: Double

        /// Creates a bar.
        public init(label: String, value: Double) {
            self.label = label
            self.value = value
        }
    }

    /// Geometry of the drawing area in SVG user units.
    public struct Size: Sendable, Equatable {
        public var width: Int
        public var height: Int

        /// Creates a size.
        public init(width: Int = 720, height: Int = 240) {
            self.width = width
            self.height = height
        }
    }

    static let margin = (left: 44.0, right: 8.0, top: 12.0, bottom: 36.0)
    /// Most axis labels drawn; with more bars only every n-th is labelled (the table has them all).
    static let maximumLabels = 12

    /// A vertical bar chart. `id` must be unique on the page (it links the title and description).
    public static func bars(id: String, title: String, description: String, points: [Point], size: Size = Size()) -> String {
        let plotWidth = Double(size.width) - margin.left - margin.right
        let plotHeight = Double(size.height) - margin.top - margin.bottom
        let top = niceCeiling(points.map(\.value).max() ?? 0)
        let slot = points.isEmpty ? plotWidth : plotWidth / Double(points.count)
        let barWidth = max(1, slot * 0.7)
        let labelEvery = max(1, Int((Double(points.count) / Double(maximumLabels)).rounded(.up)))
        let baseline = margin.top + plotHeight

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="\(Markup.escape(id))-title \(Markup.escape(id))-desc" \
            viewBox="0 0 \(size.width) \(size.height)" width="100%" preserveAspectRatio="xMinYMin meet">
            <title id="\(Markup.escape(id))-title">\(Markup.escape(title))</title>
            <desc id="\(Markup.escape(id))-desc">\(Markup.escape(description))</desc>

            """
        // Axis and grid: zero, half and the top value.
        svg += "<g font-size=\"11\" fill=\"#4a5568\" aria-hidden=\"true\">"
        for fraction in [0.0, 0.5, 1.0] {
            let y = baseline - plotHeight * fraction
            svg += "<line x1=\"\(format(margin.left))\" y1=\"\(format(y))\" x2=\"\(format(margin.left + plotWidth))\" y2=\"\(format(y))\" stroke=\"#cbd5e0\" stroke-width=\"1\"/>"
            svg += "<text x=\"\(format(margin.left - 6))\" y=\"\(format(y + 4))\" text-anchor=\"end\">\(Markup.escape(number(top * fraction)))</text>"
        }
        svg += "</g>\n<g fill=\"#2b6cb0\">"
        for (index, point) in points.enumerated() {
            let height = top > 0 ? plotHeight * max(0, point.value) / top : 0
            let x = margin.left + slot * Double(index) + (slot - barWidth) / 2
            svg += "<rect x=\"\(format(x))\" y=\"\(format(baseline - height))\" width=\"\(format(barWidth))\" height=\"\(format(height))\">"
            svg += "<title>\(Markup.escape(point.label)): \(Markup.escape(number(point.value)))</title></rect>"
        }
        svg += "</g>\n<g font-size=\"11\" fill=\"#2d3748\" text-anchor=\"middle\" aria-hidden=\"true\">"
        for (index, point) in points.enumerated() where index % labelEvery == 0 {
            let x = margin.left + slot * (Double(index) + 0.5)
            svg += "<text x=\"\(format(x))\" y=\"\(format(baseline + 16))\">\(Markup.escape(point.label))</text>"
        }
        svg += "</g>\n</svg>"
        return svg
    }

    /// The smallest "round" number (1, 2 or 5 × 10ⁿ) at or above `value`, so the axis reads well; 1 for 0.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    /// A value as people read it: whole numbers without decimals, others with one.
    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
