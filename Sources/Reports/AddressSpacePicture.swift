import Foundation

/// The address space around a counterexample as text, high addresses on top (as a stack grows):
///
///     0x7ffff7fff000 ─┼─ mmap_base
///                     │░░│ free                                   0x1000
///     0x7ffff7ffe000 ─┼─
///                     │▓▓│ CHOSEN by the placement (…)            0x200000
///     0x7ffff7dfe000 ─┼─
///                     │▒▒│ missed: free and congruent             0x200000
///
/// Each segment is one row with its size; boundary rows carry the address and any PMD/PUD
/// boundary or limit that falls there. Marks inside a segment get a row of their own.
public enum AddressSpacePicture {
    public static func text(_ view: PlacementView) -> String {
        let (segments, marks) = view.segments()
        guard !segments.isEmpty else { return "    (empty address space)\n" }
        var lines: [String] = []
        let w = max(6, String(segments.map(\.end).max() ?? 0, radix: 16).count + 2)
        func addr(_ a: UInt64) -> String { ("0x" + String(a, radix: 16)).leftPad(w) }
        var usedMarks = Set<UInt64>()
        func markText(_ a: UInt64) -> String {
            guard let m = marks.first(where: { $0.address == a }) else { return "" }
            usedMarks.insert(a)
            return " " + m.text
        }
        var previousStart: UInt64?
        for s in segments {
            if previousStart != s.end { lines.append("    \(addr(s.end)) ─┼─" + markText(s.end)) }
            // Marks strictly inside this segment.
            let inner = marks.filter { $0.address > s.start && $0.address < s.end }
            var fill: String
            switch s.kind {
            case .vma: fill = "██"
            case .guardGap: fill = "::"
            default: fill = "  "
            }
            if s.chosen && s.missed { fill = "▓▒" } else if s.chosen { fill = "▓▓" } else if s.missed { fill = "▒▒" }
            let size = "0x" + String(s.end &- s.start, radix: 16)
            lines.append("    \(String(repeating: " ", count: w))  │\(fill)│ \(s.label.padding(toLength: max(44, s.label.count), withPad: " ", startingAt: 0)) \(size)")
            for m in inner where !usedMarks.contains(m.address) {
                usedMarks.insert(m.address)
                lines.append("    \(addr(m.address))  ┆\(fill)┆ (\(m.text))")
            }
            lines.append("    \(addr(s.start)) ─┼─" + markText(s.start))
            previousStart = s.start
        }
        var legend = "    legend: ██ VMA  ▓▓ chosen range"
        if segments.contains(where: { $0.missed }) { legend += "  ▒▒ congruent range that was missed" }
        if segments.contains(where: { $0.kind == .guardGap }) { legend += "  :: stack guard gap" }
        lines.append(legend + "  (offset 0x\(String(view.offset, radix: 16)), alignment 0x\(String(view.align, radix: 16)))")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
