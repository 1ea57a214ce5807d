import Foundation

/// The same picture as `AddressSpacePicture`, as SVG: one horizontal strip, low addresses on the
/// left, each segment at least a readable width (sizes span many orders of magnitude, so widths
/// grow with the logarithm of the size), PMD/PUD boundaries and limits as ticks.
public enum SVGPicture {
    public static func svg(_ view: PlacementView, title: String) -> String {
        let (segs, marks) = view.segments()
        let segments = segs.reversed()   // low to high
        var x = 20.0
        var boxes: [(x: Double, w: Double, seg: PlacementView.Segment)] = []
        for s in segments {
            let size = Double(s.end &- s.start)
            let w = 40 + 18 * log2(max(size, 1)) / 4
            boxes.append((x, w, s))
            x += w
        }
        let width = Int(x + 160), height = 260
        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"monospace\" font-size=\"10\">",
                   "<title>\(escape(title))</title>",
                   "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
                   "<text x=\"20\" y=\"16\" font-size=\"12\">\(escape(title))</text>"]
        for b in boxes {
            // The layout lane (VMA, guard gap, free), the chosen range over it, the missed range below.
            let (fill, stroke, dash): (String, String, String)
            switch b.seg.kind {
            case .vma: (fill, stroke, dash) = ("#777777", "#333333", "")
            case .guardGap: (fill, stroke, dash) = ("#f3d9a4", "#b58a2a", " stroke-dasharray=\"3,2\"")
            default: (fill, stroke, dash) = ("#ffffff", "#999999", "")
            }
            out.append(String(format: "<rect x=\"%.1f\" y=\"60\" width=\"%.1f\" height=\"40\" fill=\"%@\" stroke=\"%@\"%@/>", b.x, b.w, fill, stroke, dash))
            if b.seg.chosen {
                out.append(String(format: "<rect x=\"%.1f\" y=\"66\" width=\"%.1f\" height=\"28\" fill=\"#4a78c2\" fill-opacity=\"0.85\" stroke=\"#1d3f7a\"/>", b.x, b.w))
            }
            if b.seg.missed {
                out.append(String(format: "<rect x=\"%.1f\" y=\"106\" width=\"%.1f\" height=\"16\" fill=\"#9fd49f\" stroke=\"#2d7a2d\" stroke-dasharray=\"4,2\"/>", b.x, b.w))
            }
            out.append(String(format: "<text x=\"%.1f\" y=\"%.0f\" transform=\"rotate(40 %.1f %.0f)\">%@</text>", b.x + 2, 134.0, b.x + 2, 134.0,
                              escape(shortLabel(b.seg) + " 0x" + String(b.seg.end &- b.seg.start, radix: 16))))
        }
        // Ticks: every drawn boundary address, and the marks.
        func position(_ a: UInt64) -> Double? {
            for b in boxes where a >= b.seg.start && a <= b.seg.end {
                let span = Double(b.seg.end &- b.seg.start)
                return b.x + (span > 0 ? b.w * Double(a &- b.seg.start) / span : 0)
            }
            return nil
        }
        for m in marks {
            guard let px = position(m.address) else { continue }
            out.append(String(format: "<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"104\" stroke=\"#c0392b\" stroke-width=\"1\"/>", px, px))
            out.append(String(format: "<text x=\"%.1f\" y=\"28\" fill=\"#c0392b\">%@</text>", px + 2, escape(m.text + " 0x" + String(m.address, radix: 16))))
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// What a stretch is, in a few words (the text report has the long form).
    static func shortLabel(_ s: PlacementView.Segment) -> String {
        var parts: [String] = []
        switch s.kind {
        case .vma: parts.append("VMA")
        case .guardGap: parts.append("guard gap")
        default: if !s.chosen && !s.missed { parts.append("free") }
        }
        if s.chosen { parts.append("chosen") }
        if s.missed { parts.append("missed") }
        return parts.joined(separator: " + ")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
