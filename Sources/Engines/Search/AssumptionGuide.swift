import KernelC
import Placement

/// Steers the fuzzer's fresh inputs into the property's leading assumptions. The same leading
/// `assume`s the model checker prunes with (`LeadingAssumptions`: pure conjuncts over
/// the parameters, before anything that could fail or branch) are tested as each parameter is
/// drawn: a value that breaks a conjunct whose last parameter is this one is drawn again, a few
/// times. The acceptance of the whole input becomes a sum of per-parameter retries instead of a
/// product of chances, so most runs reach the placement and its assertion.
///
/// It only chooses which values are tried: every run still evaluates the assumptions itself, so
/// nothing is assumed that the property does not say, and a value the retries cannot fix is run
/// as it is (vacuous, and counted).
///
/// A class: the draw closures capture it once per fresh input, which copies a struct's fields.
///
/// The constants those conjuncts compare a parameter with (`flags == (MAP_SHARED | MAP_FIXED)`,
/// `len <= 4 * PMD_SIZE`, `addr >= mmap_min_addr`) are also drawn for it, as they are and one step
/// either side — a dictionary, as coverage fuzzers harvest comparison operands — so an exact flag
/// set is not left to chance.
final class AssumptionGuide {
    let runner: ConcreteRunner
    let checks: [[Expr]]
    let locals: [(slot: Int, value: Expr)]
    /// Every conjunct, in parameter order.
    let all: [Expr]
    /// `checks` and `all`, prepared for the runner.
    let tests: ParameterTests
    let allTest: LeadingTest
    /// Per parameter: the constants of the leading conjuncts that read it.
    let hints: [[UInt64]]
    /// Per parameter of a small domain (bool, `struct file *`): the values that the conjuncts
    /// reading it alone allow (nil: drawn freely), for the generator (`InputGenerator.allowed`).
    /// `!file || file == FILE_THP` keeps two of the file kinds, which drawing and testing found
    /// only after four draws on average.
    let choices: [[UInt64]?]
    /// Draws of a parameter before its conjuncts are taken to fail because of an earlier one;
    /// fewer once the fill has stepped back (`backtracks`).
    static let retries = 4, retriesAfterBacktrack = 2
    /// Steps back when a parameter's retries cannot satisfy it: the culprit is then an earlier
    /// parameter (`IS_ALIGNED(len, …)` inside a conjunct that also reads `pgoff`), so the one
    /// before it is drawn again, and then this one. Measured on thp_congruent and
    /// placement_avoids_vmas: 4/2/10 makes the fewest draws per accepted input (8, 6, 4 retries
    /// and whole redraws made 1.5–2× as many) and the fewest vacuous runs.
    static let backtracks = 10

    init(runner: ConcreteRunner, vocabulary: Vocabulary) {
        self.runner = runner
        let leading = runner.leading
        let checks = leading.checks, locals = leading.locals, localReads = leading.localReads
        self.checks = checks
        self.locals = locals
        all = Array(checks.joined())
        let count = runner.parameters.count
        let none = runner.arguments([UInt64](repeating: 0, count: count))
        var hints = [Set<UInt64>](repeating: [], count: count)
        for e in checks.joined() {
            guard let readers = LeadingAssumptions.reads(e, count: count, locals: localReads) else { continue }
            // The largest subexpressions that read no parameter: the operands compared with one.
            var found: [UInt64] = []
            func walk(_ x: Expr) {
                if let r = LeadingAssumptions.reads(x, count: count, locals: localReads), r.isEmpty {
                    if case .word(let w) = runner.evaluator.evaluate(x, in: runner.property.function, arguments: none) { found.append(w) }
                    return
                }
                LeadingAssumptions.operands(x)?.forEach(walk)
            }
            walk(e)
            for i in readers { hints[i].formUnion(found) }
        }
        self.hints = hints.map { $0.sorted() }
        var choices = [[UInt64]?](repeating: nil, count: count)
        for (i, p) in runner.parameters.enumerated() {
            let domain: [UInt64]
            if p.type == .bool { domain = [0, 1] } else if case .pointer(.file) = p.type { domain = vocabulary.fileKinds } else { continue }
            let alone = checks[i].filter { LeadingAssumptions.reads($0, count: count, locals: localReads) == [i] }
            if alone.isEmpty { continue }
            var args = [UInt64](repeating: 0, count: count)
            let kept = domain.filter { v in args[i] = v; return runner.holdsAll(alone, args, locals: locals) }
            if !kept.isEmpty { choices[i] = kept }
        }
        self.choices = choices
        tests = ParameterTests(runner, checks, locals: locals)
        allTest = runner.leadingTest(all, locals: locals)
    }

    /// A harvested constant for parameter `i` (or one step either side), sometimes; nil otherwise.
    func hint(_ i: Int, _ rng: inout DeterministicRandom, page: UInt64) -> UInt64? {
        guard !hints[i].isEmpty, rng.chance(30) else { return nil }
        let h = rng.pick(hints[i])
        switch rng.below(6) {
        case 0: return h &+ 1
        case 1: return h &- 1
        case 2: return h &+ page
        case 3: return h &- page
        default: return h
        }
    }

    /// Whether parameter `i`'s conjuncts hold (they read only parameters up to `i`).
    @inline(__always)
    func accepts(_ i: Int, _ values: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        tests.accept(i, UnsafeBufferPointer(values), runner)
    }

    /// Whether a whole input breaks a leading conjunct: one frame, the locals computed once (the
    /// fuzzer asks it of every mutant).
    func rejects(_ values: [UInt64]) -> Bool {
        !all.isEmpty && !runner.holds(allTest, values)
    }

    /// Fills `values` parameter by parameter with `draw(i)`, drawing again while `i`'s conjuncts
    /// fail, and stepping back to the parameter before when they keep failing (`backtracks`).
    func generate(count: Int, _ draw: (Int) -> UInt64) -> [UInt64] {
        var values = [UInt64](repeating: 0, count: count)
        fill(&values, draw)
        return values
    }

    /// `generate` into an existing buffer of the right size (the fuzzer's loop allocates nothing).
    func fill(_ values: inout [UInt64], _ draw: (Int) -> UInt64) {
        values.withUnsafeMutableBufferPointer { values in
            let count = values.count
            var i = 0, backtracks = 0
            while i < count {
                values[i] = draw(i)
                var ok = accepts(i, values), tries = 1
                while !ok && tries < (backtracks == 0 ? AssumptionGuide.retries : AssumptionGuide.retriesAfterBacktrack) {
                    values[i] = draw(i)
                    ok = accepts(i, values)
                    tries += 1
                }
                if ok {
                    i += 1
                } else if i > 0 && backtracks < AssumptionGuide.backtracks {
                    backtracks += 1
                    i -= 1
                } else {
                    // Kept as drawn, the rest drawn untested: the run says whether it was vacuous.
                    for k in (i + 1)..<count { values[k] = draw(k) }
                    break
                }
            }
        }
    }
}
