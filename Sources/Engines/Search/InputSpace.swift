import KernelC
import Placement
import Semantics

/// Every input of a property in a scaled configuration, enumerated depth-first over the
/// parameters. Pruning is sound: a leading `assume` of the property — one that comes before any
/// statement that could fail, branch or change a parameter — and that reads only parameters and
/// constants is tested as soon as the parameters it reads are fixed; an input that falsifies it
/// would only make a vacuous run. `struct file *` parameters range over NULL and the FILE_* kinds,
/// the only values the models tell apart. Of the values of an integer parameter that no run can
/// tell apart (`InputClasses`), only the first of each class is enumerated.
public struct InputSpace: @unchecked Sendable {
    public let domains: [[UInt64]]
    /// Per parameter: the leading assumptions whose last parameter read is this one.
    let checks: [[Expr]]
    let runner: ConcreteRunner
    /// Leading locals with pure initial values (e.g. `off = pgoff << PAGE_SHIFT`), in order.
    let locals: [(slot: Int, value: Expr)]

    /// The parameters whose values were grouped into classes (`InputClasses`).
    public let classes: [InputClasses.Parameter]

    /// `classes`: run one value of each class of values that no run tells apart (sound; off only
    /// to compare).
    public init(runner: ConcreteRunner, vocabulary: Vocabulary, classes: Bool = true) throws {
        self.runner = runner
        let params = runner.parameters
        var doms: [[UInt64]] = []
        for p in params {
            if p.type == .bool { doms.append([0, 1]); continue }
            if case .pointer(.file) = p.type { doms.append(vocabulary.fileKinds); continue }
            if case .pointer = p.type { doms.append([0]); continue }
            guard p.width <= 16 else {
                throw EvaluationError(message: "parameter '\(p.name)' has \(p.width) bits: exhaustive checking needs a scaled config (scaled8, scaled16)",
                                      location: runner.property.location)
            }
            doms.append(Array(0..<(UInt64(1) << UInt64(p.width))))
        }
        let leading = runner.leading
        var checks = leading.checks
        let locals = leading.locals, localReads = leading.localReads
        self.locals = locals
        // Assumptions over one parameter filter its domain once.
        for i in params.indices {
            let single = checks[i].filter { e in
                let r = LeadingAssumptions.reads(e, count: params.count, locals: localReads)
                return r == [i] || r == []
            }
            if single.isEmpty { continue }
            var args = [UInt64](repeating: 0, count: params.count)
            doms[i] = doms[i].filter { v in
                args[i] = v
                return single.allSatisfy { runner.holds($0, args, locals: locals) }
            }
            checks[i].removeAll { e in single.contains { $0 === e } }
        }
        // Values no run tells apart: one of each class.
        var grouped: [InputClasses.Parameter] = []
        if classes {
            for i in params.indices {
                let (firsts, summary) = InputClasses.representatives(doms[i], parameter: i, runner: runner)
                doms[i] = firsts
                if let summary { grouped.append(summary) }
            }
        }
        self.classes = grouped
        domains = doms
        self.checks = checks
        tests = ParameterTests(runner, checks, locals: locals)
    }

    /// `checks`, prepared for the runner.
    let tests: ParameterTests

    /// The number of inputs left after the single-parameter filters (an upper bound on runs).
    public var size: Double { domains.reduce(1.0) { $0 * Double($1.count) } }

    /// Up to `count` distinct inputs that pass the leading assumptions, drawn with a fixed seed:
    /// each parameter takes one of the first three or last two values of its domain (where
    /// placement edges are: 0, a page, the top) half the time, any value otherwise.
    public func sample(_ count: Int, seed: UInt64 = 0x5A3D) -> [[UInt64]] {
        var rng = DeterministicRandom(seed: seed)
        var out: [[UInt64]] = []
        var seen = Set<[UInt64]>()
        var values = [UInt64](repeating: 0, count: domains.count)
        for _ in 0..<(count * 64) where out.count < count {
            var ok = true
            for i in domains.indices where ok {
                let d = domains[i]
                if d.isEmpty { return [] }
                let k = rng.chance(50) ? [0, 1, 2, d.count - 2, d.count - 1][Int(rng.below(5))] : Int(rng.below(UInt64(d.count)))
                values[i] = d[min(max(k, 0), d.count - 1)]
                ok = values.withUnsafeBufferPointer { tests.accept(i, $0, runner) }
            }
            if ok && seen.insert(values).inserted { out.append(values) }
        }
        return out
    }

    /// Calls `body` with every input that passes the leading assumptions, in order; stops when
    /// `body` returns false. Returns false if stopped.
    @discardableResult
    public func forEach(_ body: ([UInt64]) -> Bool) -> Bool {
        var values = [UInt64](repeating: 0, count: domains.count)
        func go(_ i: Int) -> Bool {
            if i == domains.count { return body(values) }
            for v in domains[i] {
                values[i] = v
                if !values.withUnsafeBufferPointer({ tests.accept(i, $0, runner) }) { continue }
                if !go(i + 1) { return false }
            }
            return true
        }
        return go(0)
    }
}

extension ConcreteRunner {
    /// Whether a pure expression over the parameters (and pure leading locals) holds for these values.
    func holds(_ e: Expr, _ values: [UInt64], locals: [(slot: Int, value: Expr)]) -> Bool {
        holdsAll([e], values, locals: locals)
    }

    /// Whether all of them hold, the locals computed once.
    func holdsAll(_ es: [Expr], _ values: [UInt64], locals: [(slot: Int, value: Expr)]) -> Bool {
        holds(leadingTest(es, locals: locals), values)
    }

    /// Conjuncts prepared once for repeated tests: for the compiled form, the mask of its
    /// `hx_lead_N` entry (no lookup per test), whenever the runner adopts it.
    func leadingTest(_ es: [Expr], locals: [(slot: Int, value: Expr)]) -> LeadingTest {
        var mask: UInt64? = leadingIndex.isEmpty ? nil : 0
        for e in es {
            guard let m = mask, let k = leadingIndex[ObjectIdentifier(e)] else { mask = nil; break }
            mask = m | 1 << UInt64(k)
        }
        return LeadingTest(conditions: es, locals: locals, mask: mask)
    }

    /// Whether the prepared conjuncts hold for these values.
    @inline(__always)
    func holds(_ t: LeadingTest, _ values: [UInt64]) -> Bool {
        if t.conditions.isEmpty { return true }
        if let r = values.withUnsafeBufferPointer({ holdsCompiled(t.mask, $0) }) { return r }
        return evaluator.allHold(t.conditions, locals: t.locals, in: property.function, arguments: arguments(values))
    }

    /// Whether the conjuncts of compiled-form `mask` hold for `values`; nil when the compiled
    /// form cannot tell (not adopted, or the conjuncts are not all numbered), and `holds` must.
    /// The hot loops test in place, with no array or test to retain.
    @inline(__always)
    func holdsCompiled(_ mask: UInt64?, _ values: UnsafeBufferPointer<UInt64>) -> Bool? {
        guard nativeLeading, let mask, let fast = nativeUnretained, let base = values.baseAddress else { return nil }
        return fast._withUnsafeGuaranteedRef { $0.leadingHold(base, mask: mask) }
    }
}

/// Leading conjuncts of a property, ready to test against many inputs (`ConcreteRunner.holds`).
struct LeadingTest {
    let conditions: [Expr]
    let locals: [(slot: Int, value: Expr)]
    /// The conjuncts as the compiled form numbers them (nil: the evaluator tests them).
    let mask: UInt64?
}

/// Per parameter, the leading conjuncts whose last parameter read is that one, prepared for the
/// loops that fix parameters one at a time (the fuzzer's draws, the model checker's enumeration):
/// a parameter without any is accepted at once, and the compiled form's mask is read without
/// copying a test out of the array (a retain per test was a measurable share of a fuzzing run).
struct ParameterTests {
    let tests: [LeadingTest]
    let unchecked: [Bool]
    let masks: [UInt64?]

    init(_ runner: ConcreteRunner, _ checks: [[Expr]], locals: [(slot: Int, value: Expr)]) {
        tests = checks.map { runner.leadingTest($0, locals: locals) }
        unchecked = checks.map(\.isEmpty)
        masks = tests.map(\.mask)
    }

    /// Whether parameter `i`'s conjuncts hold for `values` (they read only parameters up to `i`).
    @inline(__always)
    func accept(_ i: Int, _ values: UnsafeBufferPointer<UInt64>, _ runner: ConcreteRunner) -> Bool {
        if unchecked[i] { return true }
        return runner.holdsCompiled(masks[i], values) ?? runner.holds(tests[i], Array(values))
    }
}
