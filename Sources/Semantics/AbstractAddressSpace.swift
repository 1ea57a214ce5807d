import KernelC
import SMT

/// Every layout at once, of any number of VMAs, for the prover's `layout any`: a layout is seen
/// only through the VMAs a run looks at, so only those exist. Each question (`findVMA`,
/// `vmaBefore`, a window search) makes a fresh symbolic VMA or window, constrained by facts that hold
/// in every real layout — VMAs are page-aligned, non-empty and disjoint; the VMA `findVMA(a)` gives
/// has the lowest end above `a` *among all the VMAs seen*; a window found is free of every VMA seen —
/// and each new VMA is related to every question asked before it, and each question to every VMA.
///
/// Sound: any real layout answers the questions in a way these facts allow, so a property that
/// holds here holds in every layout. Not complete: of a window search's choice the facts say that
/// the fit at the window's own start (end) was blocked when it was not taken, and that the fit is
/// no higher (lower) than any free stretch the run has seen (`finds`) — not that every lower
/// (higher) gap no question looked at was too small, so a model may be a layout the real search
/// treats otherwise. The prover replays every model on the layout of the VMAs seen; one that does
/// not replay gives "unknown", never a counterexample.
public final class AbstractAddressSpace: AddressSpace {
    public typealias D = SymbolicDomain

    /// A VMA some question produced. `handle` is its end when present, 0 (NULL) when not: ends
    /// are unique among disjoint non-empty VMAs, so equal handles mean the same VMA, as pointers do.
    public struct SeenVMA {
        public let present: SBool
        public let start: SBV
        public let end: SBV
        public let flags: SBV
        public let pgoff: SBV
        let handle: SBV
    }

    enum Question {
        /// `vma` is the VMA with the lowest end above `address` (absent: none).
        case firstAbove(address: SBV, vma: Int)
        /// `vma` is the VMA with the highest end at or below `address` (absent: none).
        case lastAtOrBelow(address: SBV, vma: Int)
        /// When `found`, `[first, last]` touches no VMA.
        case free(found: SBool, first: SBV, last: SBV)
    }

    public let domain: SymbolicDomain
    public let bits: Int
    let context: Context
    let pageMask: SBV
    let limit: SBV
    public private(set) var seen: [SeenVMA] = []
    private var questions: [Question] = []
    /// The window searches asked so far: the same search of the same layout has the same answer
    /// (the facts above do not say which fit a search takes, so without this two runs of one
    /// search — a property's assumption and the placement's own — could disagree). Asked again
    /// with the very same terms, a search is answered from here without new facts (`asked`).
    private var searches: [Search] = []

    /// A window search: in `[min, max]`, `size` bytes; `value` is the start (lowest) or last
    /// address (highest) of its fit when `found`.
    struct Search {
        let lowest: Bool
        let min: SBV, max: SBV, size: SBV
        let found: SBool
        let value: SBV
    }
    /// Facts about the VMAs and answers: true in every real layout.
    public private(set) var facts: [SBool] = []
    /// Facts about which fit each search takes (`finds`): true in every real layout too, but pure
    /// order facts, quadratic in the questions — they decide a lowest-fit property in the integer
    /// form and made a bit-blasted alignment proof three times slower, so the prover gives them to
    /// the integer forms only, and only for properties that unwind their loops (a query without
    /// them is weaker, never unsound).
    public private(set) var fitFacts: [SBool] = []
    /// Whether `fitFacts` are made at all (the prover: for properties that unwind their loops).
    public var knowsWhichFit = true
    private var fresh = 0

    /// `pageSize` and `taskSizeMax` as in the config: VMAs are page-aligned and end at or below it.
    public init(domain: SymbolicDomain, bits: Int, pageSize: UInt64, taskSizeMax: UInt64) {
        self.domain = domain
        self.bits = bits
        context = domain.context
        pageMask = context.bv(pageSize - 1, width: bits)
        limit = context.bv(taskSizeMax, width: bits)
    }

    private func k(_ v: UInt64) -> SBV { context.bv(v, width: bits) }
    private func t(_ w: SymWord) -> SBV { domain.term(w, bits: bits) }

    private func name(_ what: String) -> String {
        fresh += 1
        return "layout!\(what)\(fresh)"
    }

    // MARK: - VMAs and questions

    /// A new VMA, related to every VMA and question so far.
    private func see() -> Int {
        let i = seen.count
        let present = context.boolConst("vma\(i).present")
        let start = context.bvConst("vma\(i).start", width: bits), end = context.bvConst("vma\(i).end", width: bits)
        let flags = context.bvConst("vma\(i).flags", width: bits), pgoff = context.bvConst("vma\(i).pgoff", width: bits)
        let v = SeenVMA(present: present, start: start, end: end, flags: flags, pgoff: pgoff, handle: present.ite(end, k(0)))
        facts.append(present.implies(start.ult(end) && end.ule(limit) && start.and(pageMask).eq(k(0)) && end.and(pageMask).eq(k(0))))
        for u in seen {
            let same = u.start.eq(start) && u.end.eq(end) && u.flags.eq(flags) && u.pgoff.eq(pgoff)
            facts.append((u.present && present).implies(same || u.end.ule(start) || end.ule(u.start)))
        }
        seen.append(v)
        for q in questions { facts.append(relate(q, v)) }
        return i
    }

    /// Asks a question: related to every VMA seen (later VMAs are related as they come).
    private func ask(_ q: Question) {
        questions.append(q)
        for v in seen { facts.append(relate(q, v)) }
    }

    /// What the answer to `q` says about VMA `u`.
    private func relate(_ q: Question, _ u: SeenVMA) -> SBool {
        switch q {
        case .firstAbove(let a, let i):
            let v = seen[i]
            return (u.present && a.ult(u.end)).implies(v.present && v.end.ule(u.end))
        case .lastAtOrBelow(let a, let i):
            let v = seen[i]
            return (u.present && u.end.ule(a)).implies(v.present && u.end.ule(v.end))
        case .free(let found, let first, let last):
            return (found && u.present).implies(u.end.ule(first) || last.ult(u.start))
        }
    }

    /// The questions asked so far, by address term and kind: the same question of the same layout
    /// has the same answer, so it gets the same VMA (Z3 shares equal terms, so equal addresses are
    /// one term). A property that restates what a contract ensures (`range_free(r, len)`) then
    /// asks about the very VMAs the contract spoke of, and the solver has no equalities to find.
    /// (Each entry keeps its address term alive, so its pointer is never another term's.)
    private var answered: [String: (address: SBV, vma: Int)] = [:]

    /// True when no execution that asks the current question meets the condition (with the
    /// question's path and the assumptions so far, and the layout's facts when `withLayout`);
    /// false when one may, or the check does not tell. Set by the prover while it runs the
    /// property (short solver checks).
    public var excluded: ((_ condition: SBool, _ withLayout: Bool) -> Bool)?

    private func firstAbove(_ a: SBV) -> Int {
        let key = "above \(a.term.raw)"
        if let known = answered[key] { return known.vma }
        let i = see()
        answered[key] = (a, i)
        facts.append(seen[i].present.implies(a.ult(seen[i].end)))
        ask(.firstAbove(address: a, vma: i))
        // Free from `a` up to the start of the VMA above it (or the top): every search whose window
        // holds a fit in that stretch finds one at least as low (high).
        guard knowsWhichFit else { return i }
        let v = seen[i]
        let stretch = Stretch(free: !v.present || a.ult(v.start), first: a, last: v.present.ite(v.start.sub(k(1)), k(.max)))
        stretches.append(stretch)
        for w in searches { fitFacts.append(finds(w, stretch)) }
        return i
    }

    // MARK: - Which fit a search takes

    /// `[first, last]` touches no VMA when `free`: what a question or a search found.
    struct Stretch {
        let free: SBool
        let first: SBV
        let last: SBV
    }

    /// The free stretches seen so far (each `firstAbove` question's, each search's fit).
    private var stretches: [Stretch] = []

    /// A search finds the lowest (highest) fit: whenever a free stretch holds `size` bytes inside
    /// its window, it succeeds, and its fit starts no higher (ends no lower) than the stretch's part
    /// in the window — true of every layout, since the gap around the stretch is one the search
    /// looks at. This is what lets a proof over every layout say *which* fit a search takes
    /// relative to the stretches the run knows of (a free range a property assumes, another
    /// search's fit), not only that the fit is free.
    private func finds(_ w: Search, _ s: Stretch) -> SBool {
        let some = !w.size.eq(k(0))
        let part = reference.clipped(lo: .term(s.first), hi: .term(s.last), min: .term(w.min), max: .term(w.max), sizeMinus1: .term(w.size.sub(k(1))))
        let lo = t(part.a), hi = t(part.b)
        let holds = s.free && some && domain.term(part.fits)
        return holds.implies(w.found && (w.lowest ? w.value.ule(lo) : hi.ule(w.value)))
    }

    /// A new search (before it joins `searches`): related to every stretch seen, and its fit
    /// (when found) a stretch for every search.
    private func searched(_ w: Search, fit: Stretch) {
        guard knowsWhichFit else { return }
        for s in stretches { fitFacts.append(finds(w, s)) }
        for u in searches { fitFacts.append(finds(u, fit)) }
        stretches.append(fit)
    }

    private func lastAtOrBelow(_ a: SBV) -> Int {
        let key = "below \(a.term.raw)"
        if let known = answered[key] { return known.vma }
        let i = see()
        answered[key] = (a, i)
        facts.append(seen[i].present.implies(seen[i].end.ule(a)))
        ask(.lastAtOrBelow(address: a, vma: i))
        return i
    }

    // MARK: - AddressSpace

    public func findVMA(_ addr: SymWord) -> SymWord { domain.lift(answer(t(addr), kind: "above", firstAbove)) }

    public func vmaBefore(_ addr: SymWord) -> SymWord { domain.lift(answer(t(addr), kind: "below", lastAtOrBelow)) }

    /// The VMA (handle) a question about `a` gives. An address merged from addresses already asked
    /// about (`r = ok ? hint : found`, the placement's result) gets the merge of their answers —
    /// the question about `ite(c, x, y)` has the answer about `x` where `c` holds, in every layout.
    /// Of the other merged values, those no execution that asks the question takes need no answer
    /// (`excluded`: error codes under `!IS_ERR_VALUE(r)`, paths the assumptions rule out); a few
    /// others get a question each. Else, or when that is not shown, `a` gets a VMA of its own:
    /// the solver must then identify it with the earlier answers through the order facts.
    private func answer(_ a: SBV, kind: String, _ ask: (SBV) -> Int) -> SBV {
        guard a.iteParts != nil, let excluded else { return seen[ask(a)].handle }
        // The paths to each value not asked about (the merge tree shares subtrees, so its paths
        // can be many more than its nodes: at most 256 merges are followed).
        // In the order the walk meets them, so that the checks (and the query) are the same on
        // every run.
        func isAnswered(_ x: SBV) -> Bool { answered["\(kind) \(x.term.raw)"] != nil }
        var others: [(key: String, paths: [SBool])] = [], visits = 0, answeredOne = false
        func walk(_ x: SBV, _ path: SBool) -> Bool {
            if isAnswered(x) {
                answeredOne = true
                return true
            }
            guard let p = x.iteParts else {
                let key = "\(x.term.raw)"
                if let i = others.firstIndex(where: { $0.key == key }) { others[i].paths.append(path) } else { others.append((key, [path])) }
                return true
            }
            visits += 1
            return visits <= 256 && walk(p.then, path && p.condition) && walk(p.else, path && !p.condition)
        }
        guard walk(a, context.bool(true)), answeredOne else { return seen[ask(a)].handle }
        // The values some execution here may take: none (one check), or each on its own.
        var asked: Set<String> = []
        let reach = others.map { SBool.or($0.paths, in: context) }
        if !others.isEmpty && !excluded(SBool.or(reach, in: context), true) {
            guard others.count <= 4 else { return seen[ask(a)].handle }
            asked = Set(others.indices.filter { !excluded(reach[$0], true) }.map { others[$0].key })
        }
        var built: [String: SBV] = [:]
        func merged(_ x: SBV) -> SBV {
            let key = "\(x.term.raw)"
            if let done = built[key] { return done }
            let r: SBV
            if let known = answered["\(kind) \(key)"] {
                r = seen[known.vma].handle
            } else if let p = x.iteParts {
                let then = merged(p.then), other = merged(p.else)
                r = then.term.raw == unused.term.raw ? other : other.term.raw == unused.term.raw ? then : p.condition.ite(then, other)
            } else if asked.contains(key) {
                r = seen[ask(x)].handle
            } else {
                // On a path no execution here takes: this side is never used.
                r = unused
            }
            built[key] = r
            return r
        }
        return merged(a)
    }

    /// Stands for the answer about a value no execution takes (never part of a merged answer).
    private lazy var unused = context.bvConst("layout!unused", width: bits)

    public func field(_ vma: SymWord, _ f: VMAField) -> SymWord {
        let h = t(vma)
        func value(_ v: SeenVMA) -> SBV {
            switch f {
            case .start: return v.start
            case .end: return v.end
            case .flags: return v.flags
            case .pgoff: return v.pgoff
            }
        }
        // A handle straight from a question names its VMA, and a merge of such handles the merge of
        // their fields; any other is looked up by value.
        func named(_ h: SBV, depth: Int) -> SBV? {
            if let v = seen.first(where: { $0.handle.term.raw == h.term.raw }) { return v.present.ite(value(v), k(0)) }
            if h.numeral == 0 { return k(0) }
            guard depth < 16, let p = h.iteParts, let a = named(p.then, depth: depth + 1), let b = named(p.else, depth: depth + 1) else { return nil }
            return p.condition.ite(a, b)
        }
        if let known = named(h, depth: 0) { return domain.lift(known) }
        var r = k(0)
        for v in seen.reversed() { r = (v.present && h.eq(v.end)).ite(value(v), r) }
        return domain.lift(r)
    }

    /// The reference scan (`SlotAddressSpace`), for its tests of a window and of a gap in it.
    private var reference: SlotAddressSpace<SymbolicDomain> { SlotAddressSpace(domain: domain, bits: bits, slots: []) }

    /// A window `[min, max]` that can hold `size` bytes at all: the reference scan's own test.
    private func valid(min: SBV, max: SBV, size: SBV) -> SBool {
        domain.term(reference.valid(min: .term(min), max: .term(max), size: .term(size)))
    }

    /// The answer of an earlier search with the very same terms (Z3 shares equal terms; each entry
    /// of `searches` keeps its terms alive, so their pointers are never another term's).
    private func asked(lowest: Bool, min: SBV, max: SBV, size: SBV) -> (found: SBool, value: SBV)? {
        searches.first { $0.lowest == lowest && $0.min.term.raw == min.term.raw && $0.max.term.raw == max.term.raw
                         && $0.size.term.raw == size.term.raw }.map { ($0.found, $0.value) }
    }

    /// An earlier search of the same kind whose window and size every execution that asks this one
    /// gives it too (`excluded`: a short check of the path and the assumptions so far, not the
    /// layout's facts, which made it time out where it did not help): its answer is this one's.
    /// The kernel's search and a property's restatement of it (or the padded THP search and the
    /// one the assumption names) are computed by different expressions; shown equal here, the
    /// query has one search instead of two whose sameness the solver must find.
    private func provenSame(lowest: Bool, min: SBV, max: SBV, size: SBV) -> (found: SBool, value: SBV)? {
        guard let excluded else { return nil }
        for w in searches.reversed() where w.lowest == lowest {
            if excluded(!(min.eq(w.min) && max.eq(w.max) && size.eq(w.size)), false) { return (w.found, w.value) }
        }
        return nil
    }

    public func areaLowest(low: SymWord, high: SymWord, size: SymWord) -> (ok: SymTruth, start: SymWord) {
        let min = t(low), max = t(high).sub(k(1)), size = t(size)
        if let known = asked(lowest: true, min: min, max: max, size: size) ?? provenSame(lowest: true, min: min, max: max, size: size) {
            return (domain.lift(known.found), domain.lift(known.found.ite(known.value, k(0))))
        }
        let found = context.boolConst(name("found"))
        let start = context.bvConst(name("start"), width: bits)
        // Inside the window with room for size bytes, and free of every VMA.
        facts.append(found.implies(valid(min: min, max: max, size: size) && min.ule(start) && start.ule(max)
                                   && size.sub(k(1)).ule(max.sub(start))))
        ask(.free(found: found, first: start, last: start.add(size.sub(k(1)))))
        // The lowest address of its gap in the window: the window's start or the end of the VMA below.
        let below = seen[lastAtOrBelow(start)]
        facts.append(found.implies(start.eq(min) || (below.present && start.eq(below.end))))
        // A search that fails, or finds something above the window's start, found no room there:
        // the first VMA above the start blocks [min, min + size).
        let first = seen[firstAbove(min)]
        let blocked = first.present && (first.start.ule(min) || first.start.sub(min).ult(size))
        facts.append(((!found && valid(min: min, max: max, size: size)) || (found && !start.eq(min))).implies(blocked))
        let search = Search(lowest: true, min: min, max: max, size: size, found: found, value: start)
        searched(search, fit: Stretch(free: found, first: start, last: start.add(size.sub(k(1)))))
        sameAnswer(search)
        return (domain.lift(found), domain.lift(found.ite(start, k(0))))
    }

    /// A search equal to an earlier one (same kind, window and size) answers as it did.
    private func sameAnswer(_ s: Search) {
        for w in searches where w.lowest == s.lowest {
            facts.append((s.min.eq(w.min) && s.max.eq(w.max) && s.size.eq(w.size)).implies(s.found.iff(w.found) && s.found.implies(s.value.eq(w.value))))
        }
        searches.append(s)
    }

    public func areaHighest(low: SymWord, high: SymWord, size: SymWord) -> (ok: SymTruth, end: SymWord) {
        let min = t(low), max = t(high).sub(k(1)), size = t(size)
        if let known = asked(lowest: false, min: min, max: max, size: size) ?? provenSame(lowest: false, min: min, max: max, size: size) {
            return (domain.lift(known.found), domain.lift(known.found.ite(known.value, k(0)).add(k(1))))
        }
        let found = context.boolConst(name("found"))
        let last = context.bvConst(name("last"), width: bits)
        let first = last.sub(size.sub(k(1)))
        facts.append(found.implies(valid(min: min, max: max, size: size) && last.ule(max) && min.ule(last)
                                   && size.sub(k(1)).ule(last.sub(min))))
        ask(.free(found: found, first: first, last: last))
        // The highest address of its gap in the window: the window's end or below the VMA above.
        let above = seen[firstAbove(last)]
        facts.append(found.implies(last.eq(max) || (above.present && last.add(k(1)).eq(above.start))))
        // A search that fails, or finds something below the window's end, found no room there: a
        // VMA meets [max - size + 1, max].
        let top = max.sub(size.sub(k(1)))
        let blocker = seen[firstAbove(top)]
        let blocked = blocker.present && blocker.start.ule(max) && top.ult(blocker.end)
        facts.append(((!found && valid(min: min, max: max, size: size)) || (found && !last.eq(max))).implies(blocked))
        let search = Search(lowest: false, min: min, max: max, size: size, found: found, value: last)
        searched(search, fit: Stretch(free: found, first: first, last: last))
        sameAnswer(search)
        return (domain.lift(found), domain.lift(found.ite(last, k(0)).add(k(1))))
    }
}
