import KernelC
import Placement
import Semantics

/// The bounds under which a verdict holds; always printed with it.
public struct Bounds: Sendable, Codable, Equatable, CustomStringConvertible {
    public var config: String
    public var intBits: Int
    public var longBits: Int
    public var unwind: Int
    public var layoutVMAs: Int?
    /// `layout any`: every layout of any size (the abstract layout), loops with an invariant by
    /// induction (any number of iterations), the others unwound.
    public var anyLayout: Bool?
    /// `layout any` with the property's own `unwind N`: loops with an invariant are unwound too,
    /// with the unwinding check (a proof says no run needs more passes).
    public var invariantLoopsUnwound: Bool?
    /// Where the functions came from when not from the spec files (a kernel tree).
    public var functions: String?
    /// Functions whose calls the proof replaced by their proved contracts (with each proof's time).
    public var contracts: [String]?
    /// Contracts the property names that were not proved, and why: their functions ran as they are.
    public var contractsNotUsed: [String]?

    public init(config: String, intBits: Int, longBits: Int, unwind: Int, layoutVMAs: Int?) {
        self.config = config
        self.intBits = intBits
        self.longBits = longBits
        self.unwind = unwind
        self.layoutVMAs = layoutVMAs
    }

    public var description: String {
        var s = "config \(config), long \(longBits)-bit, int \(intBits)-bit, loops unwound \(unwind)×"
        if anyLayout == true, invariantLoopsUnwound == true {
            s += ", every layout (any number of VMAs; every loop unwound, invariants or not: a run needing more than \(unwind) passes fails the unwinding check)"
        } else if anyLayout == true {
            s += ", every layout (any number of VMAs; loops with an invariant: any number of iterations)"
        } else {
            s += layoutVMAs.map { ", layouts ≤ \($0) VMAs" } ?? ", no layout"
        }
        if let contracts { s += ", calls through the contracts of \(contracts.joined(separator: ", "))" }
        if let contractsNotUsed { s += ", contracts not used (\(contractsNotUsed.joined(separator: "; ")))" }
        if let functions { s += ", functions from \(functions)" }
        return s
    }
}

/// One input of a counterexample, with whether its value matters.
public struct InputValue: Sendable, Codable, Equatable {
    public var name: String
    public var type: String
    /// The bit pattern, in the input's width.
    public var bits: UInt64
    public var signed: Bool
    public var width: Int
    /// False when the property fails for every value of this input (others fixed).
    public var relevant: Bool

    public init(name: String, type: String, bits: UInt64, signed: Bool, width: Int, relevant: Bool) {
        self.name = name
        self.type = type
        self.bits = bits
        self.signed = signed
        self.width = width
        self.relevant = relevant
    }

    /// `bits` is also written as a hex string (`"hex"`): JSON numbers above 2^53 lose precision in
    /// jq, JavaScript and most JSON tools. Readers prefer `hex` when present.
    enum CodingKeys: String, CodingKey { case name, type, bits, hex, signed, width, relevant }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decode(String.self, forKey: .type)
        if let h = try c.decodeIfPresent(String.self, forKey: .hex) {
            guard h.hasPrefix("0x"), let v = UInt64(h.dropFirst(2), radix: 16) else {
                throw DecodingError.dataCorruptedError(forKey: .hex, in: c, debugDescription: "\"hex\" must be a string such as \"0x1f\"")
            }
            bits = v
        } else {
            bits = try c.decode(UInt64.self, forKey: .bits)
        }
        signed = try c.decode(Bool.self, forKey: .signed)
        width = try c.decode(Int.self, forKey: .width)
        relevant = try c.decode(Bool.self, forKey: .relevant)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(type, forKey: .type)
        try c.encode(bits, forKey: .bits)
        try c.encode("0x" + String(bits, radix: 16), forKey: .hex)
        try c.encode(signed, forKey: .signed)
        try c.encode(width, forKey: .width)
        try c.encode(relevant, forKey: .relevant)
    }

    /// `0x…` for unsigned, decimal (with sign) for signed inputs, `true/false` for bools.
    public var rendered: String {
        if type == "bool" { return bits != 0 ? "true" : "false" }
        if signed { return String(ConcreteDomain.signed(bits, bits: width)) }
        return "0x" + String(bits, radix: 16)
    }
}

/// A failed obligation as shown to people.
public struct Failure: Sendable, Codable, Equatable {
    public var kind: ObligationKind
    public var location: String
    public var text: String
}

/// A value of a counterexample as the program had it: a word, a truth value or a struct's fields.
/// Kept as numbers; written to JSON as the text people read (`"0x1f"`, `"true"`,
/// `"{0x1, 0x2}"`), which is also what earlier reports hold.
public enum ShownValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case word(UInt64)
    case truth(Bool)
    case record([UInt64])

    /// The value when it is a word (nil for a truth value or a struct: neither is an address).
    public var word: UInt64? {
        if case .word(let w) = self { return w }
        return nil
    }

    public var description: String {
        switch self {
        case .word(let w): return "0x" + String(w, radix: 16)
        case .truth(let t): return t ? "true" : "false"
        case .record(let fs): return "{" + fs.map { "0x" + String($0, radix: 16) }.joined(separator: ", ") + "}"
        }
    }

    public init(parsing text: String) throws {
        let hex = { (s: Substring) -> UInt64? in s.hasPrefix("0x") ? UInt64(s.dropFirst(2), radix: 16) : nil }
        if text == "true" || text == "false" { self = .truth(text == "true"); return }
        if let w = hex(Substring(text)) { self = .word(w); return }
        if text.hasPrefix("{") && text.hasSuffix("}") {
            let inner = text.dropFirst().dropLast()
            let fields = inner.isEmpty ? [] : inner.split(separator: ",").map { hex(Substring($0.trimmingCharacters(in: .whitespaces))) }
            if fields.allSatisfy({ $0 != nil }) { self = .record(fields.map { $0! }); return }
        }
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not a value: \"\(text)\" (expected 0x…, true, false or {0x…, …})"))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a value: \"\(text)\"")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A concrete, replayed counterexample.
public struct Counterexample: Sendable, Codable, Equatable {
    public var inputs: [InputValue]
    public var failures: [Failure]
    /// Locals where the first failure was met: name → value.
    public var locals: [String: ShownValue]
    /// The address space (for properties with a layout bound).
    public var layout: [VMA]?
    /// The calls the property made directly (its placement requests) with their results.
    public var calls: [CallRecord]?

    public init(inputs: [InputValue], failures: [Failure], locals: [String: ShownValue], layout: [VMA]?, calls: [CallRecord]? = nil) {
        self.inputs = inputs
        self.failures = failures
        self.locals = locals
        self.layout = layout
        self.calls = calls
    }
}

/// A call the property made (e.g. `do_mmap_placement(...)`): the request and what it returned.
public struct CallRecord: Sendable, Codable, Equatable {
    public struct Argument: Sendable, Codable, Equatable {
        public var name: String
        public var value: ShownValue
        public init(name: String, value: ShownValue) {
            self.name = name
            self.value = value
        }
    }
    public var function: String
    public var arguments: [Argument]
    public var result: ShownValue?

    public init(function: String, arguments: [Argument], result: ShownValue?) {
        self.function = function
        self.arguments = arguments
        self.result = result
    }

    public func argument(_ name: String) -> UInt64? {
        arguments.first { $0.name == name }?.value.word
    }
    public var resultValue: UInt64? { result?.word }
}

public enum Verdict: Sendable, Equatable {
    case proved(vacuous: Bool)
    case counterexample(Counterexample)
    case unknown(reason: String)
    /// An engine bug (a model that does not replay); never reported as a counterexample.
    case internalError(String)

    /// The verdict without its payload, for comparisons and counts.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case proved, counterexample, unknown
        case internalError = "internal-error"
    }

    public var kind: Kind {
        switch self {
        case .proved: return .proved
        case .counterexample: return .counterexample
        case .unknown: return .unknown
        case .internalError: return .internalError
        }
    }

    /// The name used in reports and JSON.
    public var name: String { kind.rawValue }
}

/// The outcome for one property.
public struct PropertyResult: Sendable {
    public var file: String
    public var property: String
    public var verdict: Verdict
    public var bounds: Bounds
    public var seconds: Double
    public var expected: ExpectedVerdict?
    /// The SMT-LIB2 query of the negated property.
    public var smtlib2: String?
    public var solverChecks: Int
    /// Checks that Bitwuzla answered `unsat` (the portfolio, `SolverChoice`); Z3 decided the rest.
    public var bitwuzlaProofs = 0
    /// Models of Bitwuzla's that replayed and were taken as the counterexample (a budget in seconds).
    public var bitwuzlaModels = 0
    /// Checks that a newer Z3 than the linked one (pip's `z3-solver`) answered `unsat`.
    public var newerZ3Proofs = 0
    /// Costly calls skipped because their path contradicts the assumptions (`InfeasiblePaths`),
    /// and the feasibility questions asked.
    public var prunedCalls = 0, pruningChecks = 0
    /// Time of the first (deciding) solver check; the rest is building, minimising and replaying.
    public var firstCheckSeconds: Double = 0
    /// Z3 resource units the property's checks used (what `--rlimit` bounds).
    public var resourcesUsed: UInt64 = 0
    /// When the query was decided case by case: the input and its values (e.g. `file ∈ {0x0, 0x1}`).
    public var caseSplit: String?
    /// When the counterexample came from the concrete search before the solver: how many runs it took.
    public var concreteSearchRuns: Int?

    /// Whether the verdict is the one the spec's `// expect:` asked for (true when none was given).
    public var matchesExpectation: Bool {
        guard let expected else { return true }
        switch (expected, verdict.kind) {
        case (.proved, .proved), (.counterexample, .counterexample), (.unknown, .unknown): return true
        default: return false
        }
    }
}
