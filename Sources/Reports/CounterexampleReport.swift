import Engines
import Foundation
import Placement

/// Every form of a counterexample, from one `Finding`: JSON (what `replay` reads), text with the
/// address-space picture, SVG, the C reproducer (when the real kernel can run it) and the SMT-LIB2
/// query (prover findings). Nothing here depends on time or the machine, so the same finding always
/// gives the same bytes.
public struct CounterexampleReport {
    public let finding: Finding
    public let config: Config
    public let smtlib2: String?

    public init(finding: Finding, config: Config, smtlib2: String? = nil) {
        self.finding = finding
        self.config = config
        self.smtlib2 = smtlib2
    }

    public var view: PlacementView { PlacementView(finding: finding, config: config) }

    /// The readable report: inputs (irrelevant ones marked), the request and what came back, what
    /// the property wanted, and the picture.
    public func text() -> String {
        let f = finding, c = f.counterexample
        var out: [String] = []
        out.append("counterexample: \(f.spec): property \(f.property)")
        out.append("found by:       \(f.engine.rawValue)\(f.seed.map { " (seed \($0))" } ?? "")")
        out.append("bounds:         \(f.bounds)")
        out.append("")
        out.append("inputs:")
        for i in c.inputs {
            out.append("    \(i.name.padding(toLength: 14, withPad: " ", startingAt: 0)) = \(i.rendered)\(i.relevant ? "" : "   (irrelevant: no other value avoids the failure)")")
        }
        if let seq = f.sequence, !seq.isEmpty {
            out.append("")
            out.append("syscalls from an empty address space (shortest sequence):")
            for (n, s) in seq.enumerated() { out.append("    \(n + 1). \(s.description)") }
        }
        if let calls = c.calls, !calls.isEmpty {
            out.append("")
            out.append("requests the property made:")
            let names = RequestNames(config: config)
            for call in calls { out.append("    " + names.call(call)) }
        }
        out.append("")
        out.append("what the property wanted:")
        for e in f.expected { out.append("    \(e)") }
        if !c.locals.isEmpty {
            out.append("locals at the failure: " + c.locals.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", "))
        }
        let v = view
        if let ch = v.chosen {
            out.append("")
            out.append(String(format: "placement: [0x%llx, 0x%llx), VA - offset ≡ 0x%llx (mod 0x%llx)%@", ch.start, ch.start &+ ch.length,
                              (ch.start &- v.offset) & (v.align &- 1), v.align,
                              v.missed.map { String(format: "; nearest free congruent start 0x%llx", $0) } ?? ""))
        }
        out.append("")
        let start = (c.layout ?? []).count, added = v.layout.vmas.count - start
        out.append("address space (layout: \(start) VMA\(start == 1 ? "" : "s")\(added > 0 ? ", and \(added) inserted by the property" : "")):")
        out.append(AddressSpacePicture.text(v))
        out.append("replay: hugealign replay <this report's .json>")
        return out.joined(separator: "\n") + "\n"
    }

    /// Files by name (stem + extension) → contents.
    public func files(stem: String) throws -> [(String, String)] {
        var out = [("\(stem).json", try finding.encoded()), ("\(stem).txt", text()),
                   ("\(stem).svg", SVGPicture.svg(view, title: "\(finding.property): \(finding.engine.rawValue) counterexample"))]
        if let c = CReproducer.program(finding, config: config) { out.append(("\(stem).c", c)) }
        if let q = smtlib2 { out.append(("\(stem).smt2", q)) }
        return out
    }

    /// Writes every form into `directory` (created if needed), each atomically; returns the paths.
    @discardableResult
    public func write(to directory: String, stem: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try files(stem: stem).map { name, text in
            let path = (directory as NSString).appendingPathComponent(name)
            try AtomicFile.write(text, to: path)
            return path
        }
    }
}

/// Writes a file through a temporary file and a rename, so a reader (or a Ctrl-C) never leaves
/// half of it.
public enum AtomicFile {
    public static func write(_ text: String, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        try text.write(toFile: tmp, atomically: false, encoding: .utf8)
        if rename(tmp, path) != 0 {
            unlink(tmp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
