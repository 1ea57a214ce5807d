/// Rewrites of kernel idioms into the constructs the checker knows, done on the syntax so that
/// both value domains run them through the one evaluator.
extension Checker {
    /// `retry: ... goto retry;` — a backward `goto` to a label at the top of a function's body —
    /// becomes `for (;;) { ...; break; }` with the `goto` as `continue`, so that it is unwound like
    /// any loop. Only when no such `goto` sits inside a loop of its own (where `continue` would
    /// mean that loop); other backward gotos still get the checker's diagnostic.
    static func backwardGotosAsLoops(_ body: StmtSyntax) -> StmtSyntax {
        guard case .block(var items) = body.kind else { return body }
        var i = items.count - 1
        while i >= 0 {
            if case .label(let name) = items[i].kind {
                let after = Array(items[(i + 1)...])
                var found = false, nested = false
                for s in after { scanGotos(s, name, inLoop: false, found: &found, nested: &nested) }
                let otherLabels = after.contains { s in if case .label = s.kind { return true } else { return false } }
                if found && !nested && !otherLabels {
                    let loc = items[i].location
                    let loopBody = StmtSyntax(kind: .block(after.map { gotoAsContinue($0, name) } + [StmtSyntax(kind: .breakStmt, location: loc)]), location: loc)
                    let loop = StmtSyntax(kind: .forLoop(nil, nil, nil, loopBody), location: loc)
                    items = Array(items[..<i]) + [loop]
                }
            }
            i -= 1
        }
        return StmtSyntax(kind: .block(items), location: body.location)
    }

    static func scanGotos(_ s: StmtSyntax, _ label: String, inLoop: Bool, found: inout Bool, nested: inout Bool) {
        switch s.kind {
        case .gotoStmt(let l) where l == label:
            found = true
            if inLoop { nested = true }
        case .block(let b): for x in b { scanGotos(x, label, inLoop: inLoop, found: &found, nested: &nested) }
        case .ifElse(_, let a, let b):
            scanGotos(a, label, inLoop: inLoop, found: &found, nested: &nested)
            if let b { scanGotos(b, label, inLoop: inLoop, found: &found, nested: &nested) }
        case .whileLoop(_, let b), .doWhile(let b, _), .forLoop(_, _, _, let b):
            scanGotos(b, label, inLoop: true, found: &found, nested: &nested)
        default: break
        }
    }

    static func gotoAsContinue(_ s: StmtSyntax, _ label: String) -> StmtSyntax {
        var out = s
        switch s.kind {
        case .gotoStmt(let l) where l == label: out.kind = .continueStmt
        case .block(let b): out.kind = .block(b.map { gotoAsContinue($0, label) })
        case .ifElse(let c, let a, let b): out.kind = .ifElse(c, gotoAsContinue(a, label), b.map { gotoAsContinue($0, label) })
        default: break
        }
        return out
    }

    /// Functions named as values anywhere (`get_area = shmem_get_unmapped_area`).
    mutating func collectAddressTaken(_ s: StmtSyntax) {
        var found: [ExprSyntax] = []
        s.forEachExpression { found.append($0) }
        for e in found { collectAddressTaken(e) }
    }

    mutating func collectAddressTaken(_ e: ExprSyntax) {
        var named: [String] = []
        e.forEachNode { if case .identifier(let n) = $0.kind { named.append(n) } }
        for n in named { if let i = functionIndex[n] { addressTaken.insert(i) } }
    }

    /// `fp(args)` through a function pointer local: `fp == &f1 ? f1(args) : fp == &f2 ? f2(args) :
    /// ... : oops`, over the functions whose address the program takes and that take as many
    /// parameters. Each branch is evaluated only under its guard, so only the called one counts.
    mutating func callThroughPointer(_ slot: Int, _ name: String, _ args: [ExprSyntax], _ loc: SourceLocation) throws -> Expr {
        guard case .pointer(.function(let n)) = slotTypes[slot] else { throw Diagnostic(loc, "'\(name)' is not a function") }
        guard args.count == n else { throw Diagnostic(loc, "'\(name)' takes \(n) argument\(n == 1 ? "" : "s") but \(args.count) were given") }
        let stored = currentBody.map { Checker.stores(to: name, in: $0) } ?? []
        return try callThrough(Expr(.load(.local(slot)), slotTypes[slot], loc), name, args, loc,
                               targets: stored.isEmpty ? nil : unionOfTargets(stored))
    }

    /// What a function pointer expression can hold, over-approximated from the syntax: a
    /// designator, what an accessor or a function returning one writes in its body, what a local
    /// is assigned. Nil when that cannot be told (then every function whose address is taken).
    mutating func targets(_ e: ExprSyntax) -> Set<Int>? {
        switch e.kind {
        case .identifier(let n):
            if n == "NULL" { return [] }
            if let i = functionIndex[n], lookup(n) == nil { return [i] }
            if functionIndex["__global_" + n] != nil { return nil }
            guard lookup(n) != nil, let body = currentBody else { return nil }
            return unionOfTargets(Checker.stores(to: n, in: body))
        case .member(let base, let field, _):
            // The environment's accessor of that field of that struct.
            guard let b = try? expr(base), case .pointer(let p) = b.type, let tag = Checker.accessorTag(p),
                  let accessor = functionIndex["\(tag)__\(field)"] else { return nil }
            return designatorsIn[accessor]
        case .call(let g, _):
            guard let i = functionIndex[g] else { return nil }
            return designatorsIn[i]
        case .cast(_, let x): return targets(x)
        case .conditional(_, let a, let b):
            guard let x = targets(a), let y = targets(b) else { return nil }
            return x.union(y)
        default: return nil
        }
    }

    mutating func unionOfTargets(_ values: [ExprSyntax]) -> Set<Int>? {
        var out: Set<Int> = []
        for v in values {
            guard let t = targets(v) else { return nil }
            out.formUnion(t)
        }
        return out
    }

    /// Every value stored into the local `name` in a body: its initializers and assignments.
    static func stores(to name: String, in s: StmtSyntax) -> [ExprSyntax] {
        var out: [ExprSyntax] = []
        func stmt(_ s: StmtSyntax) {
            // Initializers of `name` itself; every other expression for its assignments.
            if case .declaration(_, let decls) = s.kind {
                for d in decls where d.name == name { if case .expr(let e)? = d.initializer { out.append(e) } }
            }
        }
        func visit(_ s: StmtSyntax) {
            stmt(s)
            switch s.kind {
            case .block(let b): b.forEach(visit)
            case .ifElse(_, let a, let b): visit(a); if let b { visit(b) }
            case .whileLoop(_, let b), .doWhile(let b, _): visit(b)
            case .forLoop(let i, _, _, let b): if let i { visit(i) }; visit(b)
            default: break
            }
        }
        visit(s)
        s.forEachExpression { e in
            e.forEachNode { node in
                if case .assign(let op, let lhs, let rhs) = node.kind, case .identifier(name) = lhs.kind { out.append(op == "=" ? rhs : node) }
            }
        }
        return out
    }

    /// A call through the pointer an expression gives (a struct's hook field, `void *` from the
    /// environment): as through a local, over the functions taking as many arguments as given.
    mutating func callThrough(_ pointer: Expr, _ name: String, _ args: [ExprSyntax], _ loc: SourceLocation, targets: Set<Int>? = nil) throws -> Expr {
        guard case .pointer(let pointee) = pointer.type, pointee == .void || { if case .function = pointee { return true } else { return false } }() else {
            throw Diagnostic(loc, "'\(name)' is not a function pointer (it has type '\(pointer.type)')")
        }
        let n = args.count
        let fpType = CType.pointer(.function(parameters: n))
        // Evaluated once: the pointer is kept in a fresh slot.
        let holder = newSlot("\(name) (called)", fpType)
        let stored = Expr(.assign(.local(holder), Expr(.convert(pointer), fpType, loc)), fpType, loc)
        let candidates = (targets ?? addressTaken).sorted().filter { signatures[$0].params.count == n }
        guard let first = candidates.first else {
            throw Diagnostic(loc, "no function whose address is taken can be called through '\(name)' (\(n) parameters)")
        }
        let type = signatures[first].returnType
        for c in candidates where signatures[c].returnType != type {
            throw Diagnostic(loc, "'\(syntaxes[c].name)' and '\(syntaxes[first].name)' may both be called through '\(name)' but return different types")
        }
        callsThroughPointers = true
        firstIndirectCall = firstIndirectCall ?? loc
        if currentFunction >= 0 { callGraph[currentFunction].insert(nullCallIndex) }
        var result = try convert(Expr(.call(nullCallIndex, []), model.unsignedLong, loc), to: type, at: loc)
        let held = Expr(.load(.local(holder)), fpType, loc)
        for c in candidates.reversed() {
            let call = try call(syntaxes[c].name, args, loc)
            // Compared as function pointers, so that a product of two programs can renumber them.
            let here = Expr(.compare(.eq, held, Expr(.constant(UInt64(c + 1)), fpType, loc)), .bool, loc)
            result = Expr(.conditional(here, call, result), type, loc)
        }
        return Expr(.sequence(stored, result), type, loc)
    }
}

extension StmtSyntax {
    /// Every expression of the statement and the statements in it, declaration initializers
    /// included (each once, outermost first).
    func forEachExpression(_ f: (ExprSyntax) -> Void) {
        func initializer(_ i: InitializerSyntax) {
            switch i {
            case .expr(let e): f(e)
            case .braces(let items, _): for item in items { initializer(item.value) }
            }
        }
        switch kind {
        case .declaration(_, let decls): for d in decls { if let i = d.initializer { initializer(i) } }
        case .expression(let e), .returnStmt(let e?): f(e)
        case .block(let b): for x in b { x.forEachExpression(f) }
        case .ifElse(let c, let a, let b): f(c); a.forEachExpression(f); b?.forEachExpression(f)
        case .whileLoop(let c, let b): f(c); b.forEachExpression(f)
        case .doWhile(let b, let c): b.forEachExpression(f); f(c)
        case .forLoop(let i, let c, let st, let b):
            i?.forEachExpression(f)
            if let c { f(c) }
            if let st { f(st) }
            b.forEachExpression(f)
        default: break
        }
    }
}
