import Foundation
import KernelC
import Placement

/// A counterexample as it is stored and replayed, whichever engine found it: concrete values only
/// (never only a seed). The JSON schema is documented in docs/counterexample-json.md; `version`
/// changes when a field changes meaning.
public struct Finding: Codable, Sendable, Equatable {
    public static let schemaVersion = 1

    /// One step of a model-checker sequence (mode 2): the syscall and what the model returned.
    public struct Syscall: Codable, Sendable, Equatable {
        /// The calls a sequence is made of (an unknown name in a stored report is a decoding error).
        public enum Op: String, Codable, Sendable { case mmap, munmap }
        public var op: Op
        public var file: UInt64?          // struct file * kind (0 = anonymous), mmap only
        public var addr: UInt64
        public var len: UInt64
        public var flags: UInt64?
        public var pgoff: UInt64?
        /// Flags the new VMA gets (e.g. VM_GROWSDOWN for a stack).
        public var vmFlags: UInt64?
        public var result: UInt64?

        public init(op: Op, file: UInt64? = nil, addr: UInt64, len: UInt64, flags: UInt64? = nil, pgoff: UInt64? = nil,
                    vmFlags: UInt64? = nil, result: UInt64? = nil) {
            self.op = op; self.file = file; self.addr = addr; self.len = len; self.flags = flags; self.pgoff = pgoff
            self.vmFlags = vmFlags; self.result = result
        }

        public var description: String {
            func h(_ v: UInt64?) -> String { "0x" + String(v ?? 0, radix: 16) }
            if op == .munmap { return "munmap(\(h(addr)), \(h(len))) = 0" }
            let fileText = (file ?? 0) == 0 ? "-1 (anonymous)" : "file kind \(file!)"
            return "mmap(\(h(addr)), \(h(len)), flags \(h(flags)), fd \(fileText), pgoff \(h(pgoff))\((vmFlags ?? 0) != 0 ? ", vm_flags \(h(vmFlags))" : "")) = \(h(result))"
        }
    }

    /// The engine that found a counterexample (stored by these names in the JSON).
    public enum Engine: String, Codable, Sendable, CaseIterable {
        case prover, fuzzer
        case modelChecker = "model-checker"
    }

    public var version: Int
    public var tool: String
    public var engine: Engine
    /// The spec file as it was given (relative to where hugealign ran).
    public var spec: String
    public var property: String
    public var config: String
    public var bounds: Bounds
    /// The fuzzer's seed (how it was found; the values below are what replays).
    public var seed: UInt64?
    /// Mode 2 of the model checker: the syscalls that lead to the layout, shortest first.
    public var sequence: [Syscall]?
    /// The assertion(s) the placement violated, as written in the spec.
    public var expected: [String]
    public var counterexample: Counterexample

    public init(engine: Engine, spec: String, property: String, config: String, bounds: Bounds, seed: UInt64?,
                sequence: [Syscall]?, counterexample: Counterexample) {
        version = Finding.schemaVersion
        tool = "hugealign"
        self.engine = engine
        self.spec = spec
        self.property = property
        self.config = config
        self.bounds = bounds
        self.seed = seed
        self.sequence = sequence
        self.expected = counterexample.failures.map { "\($0.kind) at \($0.location): \($0.text)" }
        self.counterexample = counterexample
    }

    /// The parameter values, in order.
    public var values: [UInt64] { counterexample.inputs.map(\.bits) }
    public var layout: Layout { Layout(vmas: counterexample.layout ?? []) }

    /// A stored layout must be one the engines could have made: each VMA non-empty and
    /// page-aligned (in the smallest page size of any config, 4 bytes, when the config is unknown
    /// here), sorted and disjoint. Checked against the config's page size and TASK_SIZE_MAX by
    /// `Replay`, which knows the config.
    func validateLayout(file: String, text: String, pageSize: UInt64 = 1, limit: UInt64 = .max) throws {
        var previousEnd: UInt64 = 0
        for (i, v) in (counterexample.layout ?? []).enumerated() {
            let problem: String?
            if v.start >= v.end { problem = "is empty or inverted (start ≥ end)" }
            else if v.start % pageSize != 0 || v.end % pageSize != 0 { problem = "is not page-aligned (page size 0x\(String(pageSize, radix: 16)))" }
            else if v.end > limit { problem = "ends above the address space (0x\(String(limit, radix: 16)))" }
            else if i > 0 && v.start < previousEnd { problem = "overlaps or precedes the VMA before it" }
            else { problem = nil }
            if let problem {
                let line = Finding.line(ofOccurrence: i, of: "\"start\"", after: "\"layout\"", in: text)
                throw InputError(file: file, line: line, message: "layout VMA \(i) [0x\(String(v.start, radix: 16)), 0x\(String(v.end, radix: 16))) \(problem)",
                                 text: JSONErrors.lineText(line, text))
            }
            previousEnd = v.end
        }
    }

    /// The 1-based line of the n-th `key` after `anchor` (0 when not found).
    static func line(ofOccurrence n: Int, of key: String, after anchor: String, in text: String) -> Int {
        guard let a = text.range(of: anchor) else { return 0 }
        var from = a.upperBound
        for k in 0...n {
            guard let r = text.range(of: key, range: from..<text.endIndex) else { return 0 }
            if k == n { return text.lineNumber(at: r.lowerBound) }
            from = r.upperBound
        }
        return 0
    }

    public func encoded() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try enc.encode(self), as: UTF8.self) + "\n"
    }

    public static func decode(_ text: String, file: String) throws -> Finding {
        do {
            let f = try JSONDecoder().decode(Finding.self, from: Data(text.utf8))
            guard f.version == schemaVersion else {
                throw InputError(file: file, line: 1, message: "counterexample schema version \(f.version) is not \(schemaVersion)", text: "")
            }
            try f.validateLayout(file: file, text: text)
            return f
        } catch let e as InputError {
            throw e
        } catch {
            let line = JSONErrors.lineOfError(error, in: text)
            throw InputError(file: file, line: line, message: "not a hugealign counterexample: \(JSONErrors.describe(error))",
                             text: JSONErrors.lineText(line, text))
        }
    }
}
