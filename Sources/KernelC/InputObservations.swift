/// Where a property's parameter can be told apart: the pure expressions of its value (its
/// *observations*) that every read of the raw value sits inside. Two values that give every
/// observation the same result make the same run on every layout — the same path, the same layout
/// questions, the same outcome — so the model checker runs one value of each class
/// (`len` in `do_mmap_placement` is read as `!len` and `PAGE_ALIGN(len)` before it is rounded:
/// 65 classes of the 256 values of scaled8).
///
/// A flow-sensitive analysis of the checked IR, one parameter at a time. It tracks which slots may
/// hold the parameter's raw value (the parameter itself, plain copies of it, a callee's parameter
/// given it as an argument); a write of anything else ends that. A read of such a slot must sit in
/// a pure expression of that one slot and constants (`!len`, `(len + PAGE_SIZE - 1) & PAGE_MASK`;
/// the largest one is the observation), be a plain copy, or be a whole argument. Anything else —
/// the bare value used with other values, stored in a field, passed to a layout question, returned,
/// incremented — tells every value apart, and the parameter gets no classes.
///
/// Why it is sound: take two values with the same observations and run both on one layout. By
/// induction over the steps, both runs take the same path and every slot holds the same value in
/// both, except slots that hold the raw value: a read outside those slots gives the same value, and
/// a read of one of them sits inside an observation whose value is the same. "May hold" is an
/// over-approximation (joins at branches, loops and labels take the union), which only adds
/// observations. Observations are pure (no division, no shift by a variable count), so none has an
/// obligation of its own.
public struct InputObservations {
    /// A pure expression of `function` that reads only `slot` (and constants).
    public struct Observation {
        public let expr: Expr
        public let function: Function
        public let slot: Int
    }

    /// The observations of parameter `parameter` of `property` (with the functions it calls), or
    /// nil when some read tells every value apart.
    public static func of(parameter: Int, in property: Function, program: Program) -> [Observation]? {
        var analysis = Analysis(program: program)
        do {
            try analysis.function(property, index: nil, raw: [parameter])
        } catch {
            return nil
        }
        return analysis.observations
    }

    /// A read of the raw value that tells every value apart (or a shape the analysis does not follow).
    struct Escape: Error {}

    struct Analysis {
        let program: Program
        var observations: [Observation] = []
        var seen = Set<ObjectIdentifier>()
        /// Callees analysed, by index and raw parameters.
        var done = Set<[Int]>()

        init(program: Program) { self.program = program }

        /// Analyses `f` entered with the slots `raw` holding the value, to a fixpoint over its labels.
        mutating func function(_ f: Function, index: Int?, raw: Set<Int>) throws {
            // Once per callee and set of raw parameters, marked before its body is walked: nothing
            // flows back from a callee to its caller (its observations are recorded as its body is
            // walked), so a recursive call can stop there.
            if let index, !done.insert([index] + raw.sorted()).inserted { return }
            var body = Body(function: f)
            repeat {
                body.changed = false
                _ = try statement(f.body, raw, &body)
            } while body.changed
        }

        /// Per function: what flows to each label, and the loops being walked.
        struct Body {
            let function: Function
            var labels: [Int: Set<Int>] = [:]
            var changed = false
            var loops: [(breaks: Set<Int>?, continues: Set<Int>?)] = []
        }

        mutating func statement(_ s: Stmt, _ raw: Set<Int>?, _ b: inout Body) throws -> Set<Int>? {
            switch s {
            case .block(let ss):
                var r = raw
                for x in ss { r = try statement(x, r, &b) }
                return r
            case .ifElse(let c, let t, let e):
                let r = try raw.map { try expr(c, $0, &b) }
                let a = try statement(t, r, &b)
                let z = try e.map { try statement($0, r, &b) } ?? r
                return union(a, z)
            case .loop(let l):
                return try loop(l, raw, &b)
            case .label(let l):
                return union(raw, b.labels[l])
            case .goto(let l):
                if let raw {
                    let joined = union(b.labels[l], raw)
                    if joined != b.labels[l] { b.labels[l] = joined; b.changed = true }
                }
                return nil
            case .breakLoop:
                if !b.loops.isEmpty { b.loops[b.loops.count - 1].breaks = union(b.loops[b.loops.count - 1].breaks, raw) }
                return nil
            case .continueLoop:
                if !b.loops.isEmpty { b.loops[b.loops.count - 1].continues = union(b.loops[b.loops.count - 1].continues, raw) }
                return nil
            case .returnValue(let e, _):
                // A bare raw value returned is a bare read (`expr` throws); an observation returned
                // is the same for every value of a class.
                if let raw, let e { _ = try expr(e, raw, &b) }
                return nil
            case .expr(let e):
                guard let raw else { return nil }
                if case .assign(.local(let slot), let x) = e.kind, isCopy(x, raw, b.function, to: b.function.slotTypes[slot]) {
                    return raw.union([slot])
                }
                return try expr(e, raw, &b)
            case .assume(let e), .assert(let e, _, _):
                guard let raw else { return nil }
                return try expr(e, raw, &b)
            case .declare(let slot, let e):
                guard var r = raw else { return nil }
                if let e {
                    if isCopy(e, r, b.function, to: b.function.slotTypes[slot]) { return r.union([slot]) }
                    r = try expr(e, r, &b)
                }
                r.remove(slot)
                return r
            }
        }

        mutating func loop(_ l: Loop, _ raw: Set<Int>?, _ b: inout Body) throws -> Set<Int>? {
            var head = raw
            var exits: Set<Int>?
            while true {
                var r = head
                if let inv = l.invariant, let x = r { r = try expr(inv, x, &b) }
                if l.testFirst, let c = l.condition, let x = r { r = try expr(c, x, &b); exits = union(exits, r) }
                b.loops.append((nil, nil))
                r = try statement(l.body, r, &b)
                let inner = b.loops.removeLast()
                r = union(r, inner.continues)
                if let step = l.step, let x = r { r = try expr(step, x, &b) }
                if !l.testFirst, let c = l.condition, let x = r { r = try expr(c, x, &b); exits = union(exits, r) }
                exits = union(exits, inner.breaks)
                let next = union(head, r)
                if next == head { break }
                head = next
            }
            return exits
        }

        /// Whether `x`, read in `f`, is a plain load of a raw slot whose value a slot of type `type`
        /// holds bit for bit (a local, or a callee's parameter).
        func isCopy(_ x: Expr, _ raw: Set<Int>, _ f: Function, to type: CType) -> Bool {
            guard case .load(.local(let from)) = x.kind, raw.contains(from) else { return false }
            return f.slotTypes[from] == type
        }

        /// Walks an expression evaluated with `raw` holding the value: records its observations
        /// and returns the slots that may hold the value afterwards.
        mutating func expr(_ e: Expr, _ raw: Set<Int>, _ b: inout Body) throws -> Set<Int> {
            if raw.isEmpty { return raw }
            if LeadingAssumptions.isPure(e), let slot = onlyRawSlot(e, raw) {
                // A bare load outside a larger pure expression: the value itself is used.
                if case .load = e.kind { throw Escape() }
                if seen.insert(ObjectIdentifier(e)).inserted {
                    observations.append(Observation(expr: e, function: b.function, slot: slot))
                }
                return raw
            }
            switch e.kind {
            case .constant, .config, .load:
                return raw
            case .unary(_, let a), .not(let a), .convert(let a):
                return try expr(a, raw, &b)
            case .binary(_, let x, let y), .compare(_, let x, let y), .sequence(let x, let y):
                return try expr(y, try expr(x, raw, &b), &b)
            case .and(let x, let y), .or(let x, let y):
                let r = try expr(x, raw, &b)
                return r.union(try expr(y, r, &b))
            case .conditional(let c, let x, let y):
                let r = try expr(c, raw, &b)
                return try expr(x, r, &b).union(try expr(y, r, &b))
            case .assign(let lv, let x):
                var r = try expr(x, raw, &b)
                if case .local(let slot) = lv { r.remove(slot) }
                return r
            case .postUpdate(let lv, let x):
                if case .local(let slot) = lv, raw.contains(slot) { throw Escape() }
                return try expr(x, raw, &b)
            case .layout(_, let args, let out):
                var r = raw
                for a in args { r = try expr(a, r, &b) }
                if case .local(let slot)? = out { r.remove(slot) }
                return r
            case .call(let index, let args):
                guard index < program.functions.count else { throw Escape() }
                let callee = program.functions[index]
                var r = raw
                var given = Set<Int>()
                for (j, a) in args.enumerated() {
                    switch a {
                    case .value(let x):
                        if j < callee.slotTypes.count, isCopy(x, r, b.function, to: callee.slotTypes[j]) {
                            given.insert(j)
                        } else {
                            r = try expr(x, r, &b)
                        }
                    case .reference(let lv):
                        if r.contains(Self.base(lv)) { throw Escape() }
                    }
                }
                if !given.isEmpty { try function(callee, index: index, raw: given) }
                return r
            }
        }

        static func base(_ lv: LValue) -> Int {
            switch lv {
            case .local(let s): return s
            case .field(let inner, _): return base(inner)
            }
        }

        /// The one raw slot a pure expression reads, when it reads that slot and nothing else but
        /// constants; nil otherwise.
        func onlyRawSlot(_ e: Expr, _ raw: Set<Int>) -> Int? {
            var slot: Int?
            var ok = true
            func walk(_ e: Expr) {
                guard ok else { return }
                switch e.kind {
                case .constant, .config: return
                case .load(.local(let s)) where raw.contains(s) && (slot == nil || slot == s): slot = s
                case .load: ok = false
                default: LeadingAssumptions.operands(e)?.forEach(walk)
                }
            }
            walk(e)
            return ok ? slot : nil
        }

        func union(_ a: Set<Int>?, _ b: Set<Int>?) -> Set<Int>? {
            guard let a else { return b }
            guard let b else { return a }
            return a.union(b)
        }
    }
}
