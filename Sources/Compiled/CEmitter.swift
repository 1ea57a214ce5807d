import KernelC
import Placement
import Semantics

/// A construct the C rendering does not mirror exactly; the program then runs in the evaluator.
public struct UnsupportedConstruct: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var location: SourceLocation
    public var description: String { "\(location): \(message)" }
}

/// Where an obligation can fail in the compiled code: the site index the code reports.
public struct ObligationSite: Sendable {
    public var kind: ObligationKind
    public var location: SourceLocation
}

/// Renders the checked IR as C with exactly the concrete evaluator's semantics.
///
/// The evaluator's guarded execution, over concrete truths, is ordinary execution: a false guard
/// skips what it guards, `return`/`goto`/`break` move control, a label joins the gotos that reach
/// it (all forward — the checker rejects backward gotos and labels in loops — so C's `goto` is the
/// same jump). What the guards also carry is rendered explicitly:
/// - every operation is `ConcreteDomain`'s (the prelude's `hx_*` functions: masked W-bit words,
///   SMT-LIB division and shifts);
/// - operands are evaluated in the evaluator's order (statement expressions with one temporary
///   each, never C's unspecified order);
/// - each obligation is a numbered site (`hx_fail`); the first failing site is what a run reports;
/// - a false `assume` ends the run (`hx_vacuous`, the evaluator's `stopAtFalseAssumption`);
/// - a loop cut at the unwinding bound records its obligation and leaves the function (the
///   evaluator's guard is false from there to the end of the function);
/// - coverage hits the same bits at the same branches (`hx_cov`, `CoverageMap.index`);
/// - layout queries call back into the same `AddressSpace` code (`LayoutBridge`).
/// Struct locals are C structs of `unsigned long` fields; parameters passed by reference are
/// copied in and back, as the evaluator copies them.
struct CEmitter {
    let program: Program
    let unwind: Int
    var out = ""
    var sites: [ObligationSite] = []
    var temp = 0
    var loopLabels: [Int] = []
    var loopCount = 0
    var recordTags: [String] = []

    /// The concrete evaluator this C renders: it gives the config values and the widths of types,
    /// and folds constant subexpressions.
    let evaluator: Evaluator<ConcreteDomain>

    init(program: Program, evaluator: Evaluator<ConcreteDomain>, unwind: Int) {
        self.program = program
        self.evaluator = evaluator
        self.unwind = unwind
    }

    /// Whether `e` is a constant the evaluator can compute now with nothing observable lost: no
    /// loads, no check that could fail (division; a shift by a count out of range), no branch
    /// whose coverage a run records (`&&`, `||`, `?:`).
    func isConstant(_ e: Expr) -> Bool {
        switch e.kind {
        case .constant, .config: return true
        case .unary(_, let x), .not(let x), .convert(let x): return isConstant(x)
        case .compare(_, let x, let y): return isConstant(x) && isConstant(y)
        case .binary(let op, let x, let y):
            if op == .div || op == .rem { return false }
            return isConstant(x) && isConstant(y) && LeadingAssumptions.isPure(e)
        default: return false
        }
    }

    /// `e` computed, when it is a constant worth folding (not already a literal).
    func folded(_ e: Expr, _ f: Function) -> String? {
        switch e.kind {
        case .constant, .config: return nil
        default: break
        }
        guard e.type != .void, isConstant(e) else { return nil }
        switch evaluator.evaluate(e, in: f, arguments: []) {
        case .word(let w): return literal(w)
        case .truth(let t): return t ? "1ULL" : "0ULL"
        case .record: return nil
        }
    }

    enum Repr: Equatable {
        case word
        case record(String)
    }

    /// The width of a type's words (`Evaluator.width`).
    func width(_ t: CType) -> Int { evaluator.width(t) }

    /// How a slot of type `t` is held: struct locals and pointers to structs (passed by reference)
    /// hold the struct.
    static func slotRepr(_ t: CType) -> Repr {
        switch t {
        case .record(let tag), .pointer(.record(let tag)): return .record(tag)
        default: return .word
        }
    }

    /// Parameters passed as a pointer to the caller's copy (copied in, and back after the call).
    static func byReference(_ t: CType) -> Bool {
        switch t {
        case .pointer(.record), .pointer(.integer): return true
        default: return false
        }
    }

    mutating func cType(_ r: Repr) -> String {
        switch r {
        case .word: return "u64"
        case .record(let tag):
            if !recordTags.contains(tag) { recordTags.append(tag) }
            return "R_\(tag)"
        }
    }

    func repr(_ e: Expr, _ f: Function) -> Repr {
        switch e.kind {
        case .load(.local(let s)), .assign(.local(let s), _), .postUpdate(.local(let s), _): return CEmitter.slotRepr(f.slotTypes[s])
        case .conditional(_, let a, _): return repr(a, f)
        case .sequence(_, let b): return repr(b, f)
        case .call(let i, _): return CEmitter.slotRepr(program.functions[i].returnType)
        default:
            if case .record(let tag) = e.type { return .record(tag) }
            return .word
        }
    }

    mutating func fresh() -> String { temp += 1; return "t\(temp)" }

    mutating func site(_ kind: ObligationKind, _ location: SourceLocation) -> Int {
        sites.append(ObligationSite(kind: kind, location: location))
        return sites.count - 1
    }

    func unsupported(_ what: String, _ location: SourceLocation) -> UnsupportedConstruct {
        UnsupportedConstruct(message: "the compiled form does not mirror \(what)", location: location)
    }

    func literal(_ v: UInt64) -> String { "\(v)ULL" }

    func coverage(_ location: SourceLocation, _ outcome: String) -> String {
        "hx_cov(ctx, \(literal(UInt64(CoverageMap.site(location)))), \(outcome));"
    }

    // MARK: - Program

    /// The whole translation unit: every function, an entry point per property (`hx_prop_N`) and
    /// per function with scalar parameters and result (`hx_call_N`).
    ///
    /// `property`: only that property, the functions it reaches and those named in `roots` (a
    /// campaign's unit, about half as much C to compile), with direct entry points (`hx_call_N`)
    /// for the `roots` only; nil: the whole program.
    mutating func emit(property only: Int? = nil, roots: Set<String> = []) throws -> String {
        var body = ""
        var prototypes = ""
        var entries = ""
        let wanted = only.map { p in
            let named = program.functions.indices.filter { roots.contains(program.functions[$0].name) }
            return CallGraph(program).reachedIndices(from: [program.properties[p].function] + named.map { program.functions[$0] }).union(named)
        }
        for (i, f) in program.functions.enumerated() where wanted?.contains(i) ?? true {
            prototypes += try signature(f, "f\(i)") + ";\n"
            body += try function(f, "f\(i)")
        }
        for (i, p) in program.properties.enumerated() {
            if let only, i != only { leading.append(nil); continue }
            // A property that cannot be compiled is left to the evaluator; the others still compile.
            let saved = (out, sites, temp, recordTags)
            do {
                body += try function(p.function, "p\(i)")
                prototypes += try signature(p.function, "p\(i)") + ";\n"
                entries += try entry(p.function, "p\(i)", "hx_prop_\(i)")
                leading.append(nil)
            } catch let e as UnsupportedConstruct {
                (out, sites, temp, recordTags) = saved
                skipped.append(e)
                leading.append(nil)
                continue
            }
            let analysis = LeadingAssumptions.checksByParameter(p.function, program: program)
            if analysis.all.count <= 64, let text = try? leadingTest(p.function, analysis, "hx_lead_\(i)") {
                entries += text
                leading[i] = analysis
            }
        }
        // A property's unit calls functions directly only where a campaign asks to (`roots`: the
        // model checker's mmap steps); the other entry points were 15 % of the C tcc reads before
        // a campaign runs native.
        for (i, f) in program.functions.enumerated() where (only == nil || roots.contains(f.name))
            && f.parameters.allSatisfy({ CEmitter.slotRepr($0.type) == .word && !CEmitter.byReference($0.type) })
            && CEmitter.slotRepr(f.returnType) == .word {
            entries += try entry(f, "f\(i)", "hx_call_\(i)")
        }
        var records = ""
        for tag in recordTags {
            records += "typedef struct { u64 f[\(max(1, CTypeNames.structFields[tag]?.count ?? 0))]; } R_\(tag);\n"
        }
        return CPrelude.text + records + prototypes + body + entries
    }

    /// Properties left to the evaluator, and why.
    var skipped: [UnsupportedConstruct] = []
    /// Per property: the leading assumptions `hx_lead_N` tests (nil: none compiled).
    var leading: [LeadingAssumptions?] = []

    /// `hx_lead_N(ctx, in, mask)`: whether the conjuncts of `analysis.all` chosen by `mask` hold,
    /// the pure leading locals computed first (`Evaluator.allHold`).
    mutating func leadingTest(_ f: Function, _ analysis: LeadingAssumptions, _ entry: String) throws -> String {
        var text = "s64 \(entry)(u64 *ctx, const u64 *in, u64 mask) {\n"
        for (s, t) in f.slotTypes.enumerated() {
            let r = CEmitter.slotRepr(t)
            guard r == .word else { text += "  \(cType(r)) s\(s) = \(zero(r));\n"; continue }
            if s < f.parameters.count {
                text += "  u64 s\(s) = \(input(s, f.parameters[s]));\n"
            } else {
                text += "  u64 s\(s) = 0;\n"
            }
        }
        for l in analysis.locals { text += "  s\(l.slot) = \(try expr(l.value, f));\n" }
        for (k, c) in analysis.all.enumerated() {
            text += "  if ((mask >> \(k)) & 1) { if (!(\(try truth(c, f)))) return 0; }\n"
        }
        return text + "  return 1;\n}\n"
    }

    mutating func signature(_ f: Function, _ name: String) throws -> String {
        var params = ["u64 *ctx"]
        for (i, p) in f.parameters.enumerated() {
            let r = CEmitter.slotRepr(p.type)
            params.append(CEmitter.byReference(p.type) ? "\(cType(r)) *a\(i)" : "\(cType(r)) a\(i)")
        }
        return "static \(cType(CEmitter.slotRepr(f.returnType))) \(name)(\(params.joined(separator: ", ")))"
    }

    func zero(_ r: Repr) -> String {
        if case .record(let tag) = r { return "(R_\(tag)){{0}}" }
        return "0"
    }

    mutating func function(_ f: Function, _ name: String) throws -> String {
        out = ""
        loopLabels = []
        let ret = CEmitter.slotRepr(f.returnType)
        out += try signature(f, name) + " {\n"
        for (s, t) in f.slotTypes.enumerated() {
            let r = CEmitter.slotRepr(t)
            if s < f.parameters.count {
                out += "  \(cType(r)) s\(s) = \(CEmitter.byReference(t) ? "*a\(s)" : "a\(s)");\n"
            } else {
                out += "  \(cType(r)) s\(s) = \(zero(r));\n"
            }
        }
        out += "  \(cType(ret)) ret = \(zero(ret));\n"
        try stmt(f.body, f)
        if f.returnType != .void {
            out += "  hx_fail(ctx, \(site(.missingReturn, f.location)));\n"
        }
        out += " out:\n"
        for (i, p) in f.parameters.enumerated() where CEmitter.byReference(p.type) { out += "  *a\(i) = s\(i);\n" }
        out += "  return ret;\n}\n"
        return out
    }

    /// Input `i` of an entry point, masked as `ConcreteRunner.arguments` masks it.
    func input(_ i: Int, _ p: Parameter) -> String {
        p.type == .bool ? "(in[\(i)] != 0)" : "(in[\(i)] & \(literal(ConcreteDomain.mask(width(p.type)))))"
    }

    /// An entry point: inputs masked as `ConcreteRunner.arguments` masks them; a false `assume`
    /// longjmps back here.
    mutating func entry(_ f: Function, _ name: String, _ entry: String) throws -> String {
        let args = f.parameters.enumerated().map { input($0.offset, $0.element) }
        let call = "\(name)(\((["ctx"] + args).joined(separator: ", ")))"
        return """
        s64 \(entry)(u64 *ctx, const u64 *in, u64 *result) {
          jmp_buf jump;
          ctx[HX_JUMP] = (u64)(uintptr_t)&jump;
          ctx[HX_FIRST] = 0;
          if (setjmp(jump)) return \(CompiledABI.vacuous);
          u64 r = (u64)\(call);
          if (result) *result = r;
          return ctx[HX_FIRST] ? \(CompiledABI.failed) : \(CompiledABI.passed);
        }

        """
    }

    // MARK: - Statements

    mutating func stmt(_ s: Stmt, _ f: Function) throws {
        switch s {
        case .expr(let e):
            out += "  (void)(\(try expr(e, f)));\n"
        case .declare(let slot, let initial):
            let r = CEmitter.slotRepr(f.slotTypes[slot])
            if let initial {
                guard repr(initial, f) == r else { throw unsupported("a declaration whose value is held differently from its slot", initial.location) }
                out += "  s\(slot) = \(try expr(initial, f));\n"
            } else {
                out += "  s\(slot) = \(zero(r));\n"
            }
        case .block(let items):
            for x in items { try stmt(x, f) }
        case .ifElse(let c, let a, let b):
            let t = fresh()
            out += "  { u64 \(t) = \(try truth(c, f)); \(coverage(c.location, t))\n  if (\(t)) {\n"
            try stmt(a, f)
            out += "  } else {\n"
            if let b { try stmt(b, f) }
            out += "  } }\n"
        case .loop(let l):
            try loop(l, f)
        case .returnValue(let e, _):
            if let e, f.returnType != .void {
                guard repr(e, f) == CEmitter.slotRepr(f.returnType) else { throw unsupported("a return value held differently from the function's type", e.location) }
                out += "  ret = \(try expr(e, f));\n"
            }
            out += "  goto out;\n"
        case .goto(let l):
            out += "  \(coverage(f.location, "\(1000 + l)"))\n  goto L\(l);\n"
        case .label(let l):
            out += " L\(l): ;\n"
        case .breakLoop:
            guard let n = loopLabels.last else { throw unsupported("break outside a loop", f.location) }
            out += "  goto brk\(n);\n"
        case .continueLoop:
            guard let n = loopLabels.last else { throw unsupported("continue outside a loop", f.location) }
            out += "  goto cont\(n);\n"
        case .assume(let c):
            out += "  if (!(\(try truth(c, f)))) hx_vacuous(ctx);\n"
        case .assert(let c, _, let loc):
            out += "  if (!(\(try truth(c, f)))) hx_fail(ctx, \(site(.assertion, loc)));\n"
        }
    }

    /// The evaluator's unrolled loop: invariant at every test, the unwinding bound checked after a
    /// passing test, coverage of the pass count in powers of two.
    mutating func loop(_ l: Loop, _ f: Function) throws {
        loopCount += 1
        let n = loopCount
        let it = "it\(n)"
        out += "  { int \(it) = 0; int first\(n) = 1; (void)first\(n);\n  for (;;) {\n"
        if let inv = l.invariant {
            out += "  if (!(\(try truth(inv, f)))) hx_fail(ctx, \(site(.invariant, inv.location)));\n"
        }
        if let c = l.condition {
            let test = "if (!(\(try truth(c, f)))) break;"
            out += l.testFirst ? "  \(test)\n" : "  if (!first\(n)) { \(test) }\n"
        }
        out += "  first\(n) = 0;\n"
        out += "  if (\(it) == \(unwind)) { hx_fail(ctx, \(site(.unwinding, l.location))); goto out; }\n"
        out += "  \(it)++;\n"
        if let c = l.condition {
            out += "  if ((\(it) & (\(it) - 1)) == 0) hx_cov(ctx, \(literal(UInt64(CoverageMap.site(c.location)))), 2 + (u64)\(it));\n"
        }
        loopLabels.append(n)
        try stmt(l.body, f)
        loopLabels.removeLast()
        out += " cont\(n): ;\n"
        if let step = l.step { out += "  (void)(\(try expr(step, f)));\n" }
        out += "  }\n brk\(n): ; }\n"
    }

    // MARK: - Expressions

    /// A word-valued expression (`Evaluator.word`: a truth read as a word is 0).
    mutating func word(_ e: Expr, _ f: Function) throws -> String {
        guard repr(e, f) == .word else { throw unsupported("a struct where a word is read", e.location) }
        if e.type == .bool { return "((void)(\(try expr(e, f))), 0ULL)" }
        return try expr(e, f)
    }

    /// A truth-valued expression (`Evaluator.truth`: a word read as a truth is false).
    mutating func truth(_ e: Expr, _ f: Function) throws -> String {
        guard repr(e, f) == .word else { throw unsupported("a struct where a truth is read", e.location) }
        if e.type != .bool { return "((void)(\(try expr(e, f))), 0ULL)" }
        return try expr(e, f)
    }

    func lvalue(_ lv: LValue, _ f: Function) throws -> (text: String, repr: Repr) {
        switch lv {
        case .local(let s): return ("s\(s)", CEmitter.slotRepr(f.slotTypes[s]))
        case .field(.local(let s), let i):
            guard case .record = CEmitter.slotRepr(f.slotTypes[s]) else { throw unsupported("a field of a non-struct slot", f.location) }
            return ("s\(s).f[\(i)]", .word)
        case .field:
            throw unsupported("a field of a field", f.location)
        }
    }

    mutating func expr(_ e: Expr, _ f: Function) throws -> String {
        if let k = folded(e, f) { return k }
        switch e.kind {
        case .constant(let v):
            if e.type == .bool { return v != 0 ? "1ULL" : "0ULL" }
            return literal(v & ConcreteDomain.mask(width(e.type)))
        case .config(let i):
            switch evaluator.configValues[i] {
            case .word(let w): return literal(w)
            case .truth(let t): return t ? "1ULL" : "0ULL"
            case .record: throw unsupported("a struct-valued config", e.location)
            }
        case .load(let lv):
            return try lvalue(lv, f).text
        case .unary(let op, let x):
            let bits = width(e.type)
            let a = try word(x, f)
            return op == .neg ? "hx_neg(\(a), \(bits))" : "(~(\(a)) & \(literal(ConcreteDomain.mask(bits))))"
        case .binary(let op, let x, let y):
            return try binary(op, e, x, y, f)
        case .compare(let op, let x, let y):
            let a = fresh(), b = fresh()
            let bits = width(x.type), signed = x.type.isSigned
            let (l, r) = signed ? ("hx_signed(\(a), \(bits))", "hx_signed(\(b), \(bits))") : (a, b)
            if isPlain(x, f) && isPlain(y, f) {
                let (p, q) = (try word(x, f), try word(y, f))
                return signed ? "(u64)(hx_signed(\(p), \(bits)) \(op.rawValue) hx_signed(\(q), \(bits)))" : "(u64)(\(p) \(op.rawValue) \(q))"
            }
            return "({ u64 \(a) = \(try word(x, f)); u64 \(b) = \(try word(y, f)); (u64)(\(l) \(op.rawValue) \(r)); })"
        case .not(let x):
            return "(u64)!(\(try truth(x, f)))"
        case .and(let x, let y), .or(let x, let y):
            let a = fresh()
            let isAnd: Bool = { if case .and = e.kind { return true }; return false }()
            let rhs = try truth(y, f)
            return "({ u64 \(a) = \(try truth(x, f)); \(coverage(x.location, a)) \(isAnd ? "\(a) ? (\(rhs)) : 0ULL" : "\(a) ? 1ULL : (\(rhs))"); })"
        case .conditional(let c, let x, let y):
            let t = fresh()
            guard repr(x, f) == repr(y, f) else { throw unsupported("a conditional whose arms are held differently", e.location) }
            return "({ u64 \(t) = \(try truth(c, f)); \(coverage(c.location, t)) \(t) ? (\(try expr(x, f))) : (\(try expr(y, f))); })"
        case .convert(let x):
            return try convert(x, to: e.type, f)
        case .assign(let lv, let x):
            let target = try lvalue(lv, f)
            guard repr(x, f) == target.repr else { throw unsupported("an assignment of a value held differently from its target", e.location) }
            let t = fresh()
            return "({ \(cType(target.repr)) \(t) = \(try expr(x, f)); \(target.text) = \(t); \(t); })"
        case .postUpdate(let lv, let updated):
            let target = try lvalue(lv, f)
            guard target.repr == .word else { throw unsupported("++/-- of a struct", e.location) }
            let old = fresh(), new = fresh()
            return "({ u64 \(old) = \(target.text); u64 \(new) = \(try expr(updated, f)); \(target.text) = \(new); \(old); })"
        case .sequence(let x, let y):
            return "({ (void)(\(try expr(x, f))); \(try expr(y, f)); })"
        case .call(let index, let args):
            return try call(index, args, e, f)
        case .layout(let q, let args, let outLV):
            return try layout(q, args, outLV, e, f)
        }
    }

    /// Whether `e` reads without effects (a constant, a config value, a local): it can be written
    /// where it is used, in any order, without a temporary.
    func isPlain(_ e: Expr, _ f: Function) -> Bool {
        guard e.type != .bool else { return false }
        if isConstant(e) { return true }
        switch e.kind {
        case .constant, .config: return true
        case .load(.local(let s)): return CEmitter.slotRepr(f.slotTypes[s]) == .word
        case .load(.field(.local, _)): return true
        default: return false
        }
    }

    mutating func binary(_ op: BinaryOp, _ e: Expr, _ x: Expr, _ y: Expr, _ f: Function) throws -> String {
        let bits = width(e.type), signed = e.type.isSigned
        let a = fresh(), b = fresh()
        let head = "u64 \(a) = \(try word(x, f)); u64 \(b) = \(try word(y, f));"
        let mask = literal(ConcreteDomain.mask(bits))
        if isPlain(x, f) && isPlain(y, f) && e.type != .bool {
            let (p, q) = (try word(x, f), try word(y, f))
            switch op {
            case .add: return "((\(p) + \(q)) & \(mask))"
            case .sub: return "((\(p) - \(q)) & \(mask))"
            case .mul: return "((\(p) * \(q)) & \(mask))"
            case .and: return "(\(p) & \(q))"
            case .or: return "(\(p) | \(q))"
            case .xor: return "(\(p) ^ \(q))"
            default: break
            }
        }
        let result: String
        switch op {
        case .add: result = "(\(a) + \(b)) & \(mask)"
        case .sub: result = "(\(a) - \(b)) & \(mask)"
        case .mul: result = "(\(a) * \(b)) & \(mask)"
        case .and: result = "\(a) & \(b)"
        case .or: result = "\(a) | \(b)"
        case .xor: result = "\(a) ^ \(b)"
        case .div, .rem:
            let check = "if (\(b) == 0) hx_fail(ctx, \(site(.divisionByZero, e.location)));"
            let fn = op == .div ? (signed ? "hx_sdiv" : "hx_udiv") : (signed ? "hx_srem" : "hx_urem")
            return "({ \(head) \(check) \(fn)(\(a), \(b), \(bits)); })"
        case .shl, .shr:
            // As `Evaluator.binary`: the count compared unsigned in its own width, then brought to
            // the value's width.
            let cb = width(y.type)
            let checked = cb >= 64 || UInt64(bits) < (UInt64(1) << UInt64(cb))
            let bad = fresh()
            var text = "\(head) u64 \(bad) = \(checked ? "!(\(b) < \(bits)ULL)" : "0"); if (\(bad)) hx_fail(ctx, \(site(.shiftRange, e.location)));"
            if cb > bits { text += " \(b) = \(bad) ? \(bits)ULL : (\(b) & \(mask));" }
            let fn = op == .shl ? "hx_shl" : (x.type.isSigned ? "hx_ashr" : "hx_lshr")
            return "({ \(text) \(fn)(\(a), \(b), \(bits)); })"
        }
        return "({ \(head) \(result); })"
    }

    mutating func convert(_ x: Expr, to: CType, _ f: Function) throws -> String {
        guard repr(x, f) == .word else { throw unsupported("a conversion of a struct", x.location) }
        let v = try expr(x, f)
        if x.type == .bool {
            // A truth: kept as a truth, or 1/0 as a word (the same number here).
            return v
        }
        let fromBits = width(x.type), toBits = width(to)
        if toBits == fromBits { return v }
        if toBits < fromBits { return "((\(v)) & \(literal(ConcreteDomain.mask(toBits))))" }
        return x.type.isSigned ? "hx_sext(\(v), \(fromBits), \(toBits))" : v
    }

    mutating func call(_ index: Int, _ args: [Argument], _ e: Expr, _ f: Function) throws -> String {
        let callee = program.functions[index]
        var text = "({ "
        var passed: [String] = []
        var copyBack: [(String, String)] = []
        for (i, p) in callee.parameters.enumerated() {
            let want = CEmitter.slotRepr(p.type)
            let t = fresh()
            if i < args.count {
                switch args[i] {
                case .value(let x):
                    guard repr(x, f) == want else { throw unsupported("an argument held differently from its parameter", x.location) }
                    text += "\(cType(want)) \(t) = \(try expr(x, f)); "
                case .reference(let lv):
                    let source = try lvalue(lv, f)
                    guard source.repr == want, CEmitter.byReference(p.type) else { throw unsupported("a reference held differently from its parameter", e.location) }
                    text += "\(cType(want)) \(t) = \(source.text); "
                    copyBack.append((source.text, t))
                }
            } else {
                text += "\(cType(want)) \(t) = \(zero(want)); "
            }
            passed.append(CEmitter.byReference(p.type) ? "&\(t)" : t)
        }
        // Arguments beyond the parameters are evaluated and dropped, as the evaluator does.
        for a in args.dropFirst(callee.parameters.count) {
            if case .value(let x) = a { text += "(void)(\(try expr(x, f))); " }
        }
        let r = fresh()
        let ret = CEmitter.slotRepr(callee.returnType)
        text += "\(cType(ret)) \(r) = f\(index)(\((["ctx"] + passed).joined(separator: ", "))); "
        for (target, t) in copyBack { text += "\(target) = \(t); " }
        text += "\(r); })"
        return text
    }

    mutating func layout(_ q: LayoutQuery, _ args: [Expr], _ outLV: LValue?, _ e: Expr, _ f: Function) throws -> String {
        var text = "({ "
        var names: [String] = []
        for a in args {
            let t = fresh()
            text += "u64 \(t) = \(try word(a, f)); "
            names.append(t)
        }
        while names.count < 4 { names.append("0") }
        let arr = fresh(), o = fresh(), r = fresh()
        text += "u64 \(arr)[4] = {\(names.joined(separator: ", "))}; u64 \(o) = 0; "
        let intBits = program.dataModel.intBits
        let store: String
        if let outLV {
            let target = try lvalue(outLV, f)
            guard target.repr == .word else { throw unsupported("a layout result stored into a struct", e.location) }
            store = "\(target.text) = \(o); "
        } else {
            store = ""
        }
        switch q {
        case .findVMA:
            text += "u64 \(r) = hx_layout(ctx, \(CompiledABI.Op.findVMA.rawValue), \(arr), &\(o)); "
        case .findVMAPrev:
            text += "u64 \(r) = hx_layout(ctx, \(CompiledABI.Op.findVMAPrev.rawValue), \(arr), &\(o)); \(store)"
        case .field(let field):
            let k = LayoutBridge.number(field)
            text += "\(arr)[1] = \(k); u64 \(r) = hx_layout(ctx, \(CompiledABI.Op.field.rawValue), \(arr), &\(o)); "
        case .areaLowest, .areaHighest:
            let op = q == .areaLowest ? CompiledABI.Op.areaLowest : .areaHighest
            let enomem = literal(UInt64(bitPattern: -12) & ConcreteDomain.mask(intBits))
            text += "u64 \(r) = hx_layout(ctx, \(op.rawValue), \(arr), &\(o)) ? 0ULL : \(enomem); \(store)"
        case .insert:
            text += "u64 \(r) = 0; if (!hx_layout(ctx, \(CompiledABI.Op.insert.rawValue), \(arr), &\(o))) hx_fail(ctx, \(site(.insertion, e.location))); "
        }
        text += "\(r); })"
        return text
    }
}
