import Foundation
import Placement
import Reports

struct LiveOutcome {
    var request: LiveRequest
    var predicted: UInt64
    var actual: UInt64
    /// The layout of a disagreement (its report shows the VMAs around it); empty for an agreement:
    /// 20 000 layouts of a ~300-VMA process held 1 GB.
    var layout: Layout
    /// For a disagreement: the kernel's VmFlags of the VMAs around it, by start.
    var vmFlags: [UInt64: String] = [:]
    var agrees: Bool { predicted == actual }

    init(request: LiveRequest, predicted: UInt64, actual: UInt64, layout: Layout) {
        self.request = request
        self.predicted = predicted
        self.actual = actual
        self.layout = predicted == actual ? Layout(vmas: []) : layout
    }
}

/// What `hugealign live` prints: the agreement rate and every disagreement as a counterexample.
struct LiveReport {
    var machine: MachineState
    var seed: UInt64
    var outcomes: [LiveOutcome]
    var pagemap: PagemapResult?
    /// What predicted: the model spec, and a kernel tree's functions when `--kernel-tree` gave one.
    var model = "specs/kernel/v6.18/mmap.spec (do_mmap_placement)"

    var disagreements: [LiveOutcome] { outcomes.filter { !$0.agrees } }

    /// Agreement per request class, by name.
    var byClass: [(name: String, agree: Int, total: Int)] {
        var m: [String: (Int, Int)] = [:]
        for o in outcomes {
            var e = m[o.request.requestClass] ?? (0, 0)
            e.1 += 1
            if o.agrees { e.0 += 1 }
            m[o.request.requestClass] = e
        }
        return m.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1) }
    }

    /// An address, or an error as `-ENOMEM` (names from the configuration, as in every report).
    func render(_ v: UInt64) -> String { RequestNames(config: machine.config).result(.word(v)) }

    /// The VMAs around both addresses.
    static func neighbourhood(_ o: LiveOutcome) -> [VMA] {
        let keys = [o.predicted, o.actual, o.request.hint].filter { !IS_ERR($0) }
        let index = VMAIndex(o.layout)
        var picked = Set<Int>()
        for k in keys {
            let i = index.findVMA(k) ?? (o.layout.vmas.count - 1)
            for j in max(0, i - 2)...min(o.layout.vmas.count - 1, i + 1) where j >= 0 { picked.insert(j) }
        }
        return picked.sorted().map { o.layout.vmas[$0] }
    }

    func text() -> String {
        var lines: [String] = []
        let n = outcomes.count, ok = n - disagreements.count
        lines.append("hugealign live: \(n) mmap requests, seed \(seed), model \(model)")
        lines.append("config: " + machine.notes.joined(separator: "; "))
        lines.append(String(format: "agreement: %d / %d (%.2f %%)", ok, n, n == 0 ? 0 : Double(ok) * 100 / Double(n)))
        var byKind: [String: (Int, Int)] = [:]
        for o in outcomes {
            var e = byKind[o.request.kind.rawValue] ?? (0, 0)
            e.1 += 1
            if o.agrees { e.0 += 1 }
            byKind[o.request.kind.rawValue] = e
        }
        lines.append("by kind: " + byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.0)/\($0.value.1)" }.joined(separator: ", "))
        lines.append("by class:")
        for c in byClass {
            let name = c.name.padding(toLength: max(50, c.name.count), withPad: " ", startingAt: 0)
            lines.append("    \(name) " + String(format: "%6d / %-6d %7.2f %%", c.agree, c.total, Double(c.agree) * 100 / Double(max(c.total, 1))))
        }
        if let p = pagemap {
            if let note = p.note { lines.append("pagemap: \(note)") }
            else { lines.append("pagemap: \(p.mappings) touched 4 MiB anonymous mappings, \(p.alignedVA) 2 MiB-aligned, \(p.hugeBlocks) blocks mapped by a huge page, \(p.congruent) of them with VA ≡ PA (mod 2 MiB)") }
        }
        for (i, o) in disagreements.prefix(50).enumerated() {
            lines.append("disagreement #\(i + 1): \(o.request.description)")
            lines.append("    kernel \(render(o.actual)), model \(render(o.predicted))")
            for v in Self.neighbourhood(o) {
                lines.append("    vma [0x\(String(v.start, radix: 16)), 0x\(String(v.end, radix: 16))) \(v.name)\(o.vmFlags[v.start].map { "  VmFlags: " + $0 } ?? "")")
            }
        }
        if disagreements.count > 50 { lines.append("(\(disagreements.count - 50) more disagreements)") }
        return lines.joined(separator: "\n")
    }

    func json() throws -> String {
        struct Entry: Codable { var request: LiveRequest; var kernel: String; var model: String; var layout: [VMA] }
        struct Class: Codable { var name: String; var requests: Int; var agreements: Int }
        struct Doc: Codable {
            var version = 1
            var seed: UInt64
            var requests: Int
            var agreements: Int
            var classes: [Class]
            var config: [String]
            var pagemap: PagemapResult?
            var disagreements: [Entry]
        }
        let doc = Doc(seed: seed, requests: outcomes.count, agreements: outcomes.count - disagreements.count,
                      classes: byClass.map { Class(name: $0.name, requests: $0.total, agreements: $0.agree) }, config: machine.notes,
                      pagemap: pagemap,
                      disagreements: disagreements.map { Entry(request: $0.request, kernel: render($0.actual), model: render($0.predicted), layout: Self.neighbourhood($0)) })
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try enc.encode(doc), as: UTF8.self)
    }
}
