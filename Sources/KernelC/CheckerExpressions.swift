/// Expression checking: C's integer promotions and usual arithmetic conversions, made explicit.
extension Checker {
    // MARK: - Conversions

    static func fits(_ v: UInt64, bits: Int, signed: Bool) -> Bool {
        let usable = signed ? bits - 1 : bits
        return usable >= 64 || v < (UInt64(1) << UInt64(usable))
    }

    static func truncate(_ v: UInt64, _ bits: Int) -> UInt64 { bits >= 64 ? v : v & ((1 << UInt64(bits)) - 1) }

    func constant(_ v: UInt64, _ t: CType, _ loc: SourceLocation) -> Expr {
        Expr(.constant(Checker.truncate(v, t.bits)), t, loc)
    }

    /// Integer promotion: bool and types narrower than int become int.
    func promote(_ e: Expr) throws -> Expr {
        switch e.type {
        case .bool: return Expr(.convert(e), model.int, e.location)
        case .int(let b, _) where b < model.intBits: return Expr(.convert(e), model.int, e.location)
        case .int: return e
        default: throw Diagnostic(e.location, "expected an integer but this has type '\(e.type)'")
        }
    }

    /// C's usual arithmetic conversions on two promoted types.
    func common(_ a: CType, _ b: CType) -> CType {
        if a == b { return a }
        guard case .int(let ab, let asg) = a, case .int(let bb, let bsg) = b else { return a }
        if asg == bsg { return ab >= bb ? a : b }
        let (u, s) = asg ? (b, a) : (a, b)
        if u.bits >= s.bits { return u }
        if s.bits > u.bits { return s }
        return .int(bits: s.bits, signed: false)
    }

    func convert(_ e: Expr, to t: CType, at loc: SourceLocation) throws -> Expr {
        if e.type == t { return e }
        switch (e.type, t) {
        case (.int, .bool), (.pointer, .bool):
            let w = e.type.isInteger ? e : Expr(.convert(e), model.unsignedLong, e.location)
            return Expr(.compare(.ne, w, constant(0, w.type, loc)), .bool, e.location)
        case (.bool, .int), (.int, .int), (.pointer, .int), (.int, .pointer), (.pointer, .pointer):
            return Expr(.convert(e), t, e.location)
        default:
            throw Diagnostic(loc, "cannot convert '\(e.type)' to '\(t)'")
        }
    }

    /// The truth value of a scalar (`x != 0`).
    func truth(_ e: Expr) throws -> Expr {
        guard e.type.isScalar else { throw Diagnostic(e.location, "expected a scalar condition but this has type '\(e.type)'") }
        return try convert(e, to: .bool, at: e.location)
    }

    mutating func condition(_ e: ExprSyntax) throws -> Expr { try truth(try expr(e)) }

    // MARK: - Typed builders (also used by the macros)

    /// `a op b` with C's conversions (shifts: each side promoted; the left decides the type).
    func arith(_ op: BinaryOp, _ a: Expr, _ b: Expr, _ loc: SourceLocation) throws -> Expr {
        let pa = try promote(a), pb = try promote(b)
        if op == .shl || op == .shr { return Expr(.binary(op, pa, pb), pa.type, loc) }
        let t = common(pa.type, pb.type)
        return Expr(.binary(op, try convert(pa, to: t, at: loc), try convert(pb, to: t, at: loc)), t, loc)
    }

    func compare(_ op: CompareOp, _ a: Expr, _ b: Expr, _ loc: SourceLocation) throws -> Expr {
        var isPointer = false
        if case .pointer = a.type { isPointer = true }
        if case .pointer = b.type { isPointer = true }
        if isPointer {
            guard a.type.isScalar, b.type.isScalar else { throw Diagnostic(loc, "cannot compare '\(a.type)' with '\(b.type)'") }
            return Expr(.compare(op, try convert(a, to: model.unsignedLong, at: loc), try convert(b, to: model.unsignedLong, at: loc)), .bool, loc)
        }
        let pa = try promote(a), pb = try promote(b)
        let t = common(pa.type, pb.type)
        return Expr(.compare(op, try convert(pa, to: t, at: loc), try convert(pb, to: t, at: loc)), .bool, loc)
    }

    func cast(_ e: Expr, _ t: CType) throws -> Expr { try convert(e, to: t, at: e.location) }

    func lit(_ v: UInt64, _ loc: SourceLocation) -> Expr { constant(v, model.int, loc) }

    // MARK: - Expressions

    mutating func expr(_ e: ExprSyntax) throws -> Expr {
        let loc = e.location
        switch e.kind {
        case .identifier(let name):
            return try identifier(name, loc)
        case .integer(let v, let u, let l, let d):
            return try integerLiteral(v, unsigned: u, longs: l, decimal: d, loc)
        case .unary(let op, let x):
            switch op {
            case "-": let p = try promote(try expr(x)); return Expr(.unary(.neg, p), p.type, loc)
            case "+": return try promote(try expr(x))
            case "~": let p = try promote(try expr(x)); return Expr(.unary(.bitNot, p), p.type, loc)
            case "!": return Expr(.not(try condition(x)), .bool, loc)
            case "&":
                // The address of a global the environment defines is its handle.
                if case .identifier(let n) = x.kind, lookup(n) == nil, functionIndex["__global_" + n] != nil {
                    return try call("__global_" + n, [], loc)
                }
                // The address of a struct embedded in a struct the environment lays out
                // (`&file->f_path`): the handle its accessor gives.
                if case .member(let base, let field, true) = x.kind, let b = try? expr(base), case .pointer(let p) = b.type,
                   let tag = Checker.accessorTag(p), let i = functionIndex["\(tag)__\(field)"], case .pointer = signatures[i].returnType {
                    return try call("\(tag)__\(field)", [base], loc)
                }
                throw Diagnostic(loc, "'&' is only supported on a local passed to a function (as in &info) or in check_*_overflow(..., &result)")
            default:
                if case .identifier(let n) = x.kind, let slot = lookup(n), referenceSlots.contains(slot) {
                    return Expr(.load(.local(slot)), slotTypes[slot], loc)
                }
                throw Diagnostic(loc, "pointer dereference '*' is only supported on an out-parameter ('unsigned long *p')")
            }
        case .preIncDec(let op, let x):
            let (lv, t) = try lvalue(x)
            let updated = try convert(try arith(op == "++" ? .add : .sub, Expr(.load(lv), t, loc), lit(1, loc), loc), to: t, at: loc)
            return Expr(.assign(lv, updated), t, loc)
        case .postIncDec(let op, let x):
            let (lv, t) = try lvalue(x)
            let updated = try convert(try arith(op == "++" ? .add : .sub, Expr(.load(lv), t, loc), lit(1, loc), loc), to: t, at: loc)
            return Expr(.postUpdate(lv, updated: updated), t, loc)
        case .binary(let op, let a, let b):
            switch op {
            case "&&": return Expr(.and(try condition(a), try condition(b)), .bool, loc)
            case "||": return Expr(.or(try condition(a), try condition(b)), .bool, loc)
            default: break
            }
            let l = try expr(a), r = try expr(b)
            if let c = CompareOp(rawValue: op) { return try compare(c, l, r, loc) }
            guard let bop = BinaryOp(rawValue: op) else { throw Diagnostic(loc, "unsupported operator '\(op)'") }
            if case .pointer = l.type { throw Diagnostic(loc, "pointer arithmetic is not supported") }
            if case .pointer = r.type { throw Diagnostic(loc, "pointer arithmetic is not supported") }
            return try arith(bop, l, r, loc)
        case .assign(let op, let a, let b):
            let (lv, t) = try lvalue(a)
            let r = try expr(b)
            if op == "=" {
                if case .record = t {
                    guard r.type == t else { throw Diagnostic(loc, "cannot assign '\(r.type)' to '\(t)'") }
                    return Expr(.assign(lv, r), t, loc)
                }
                return Expr(.assign(lv, try convert(r, to: t, at: b.location)), t, loc)
            }
            guard let bop = BinaryOp(rawValue: String(op.dropLast())) else { throw Diagnostic(loc, "unsupported operator '\(op)'") }
            guard t.isInteger else { throw Diagnostic(loc, "'\(op)' needs an integer on the left") }
            let value = try convert(try arith(bop, Expr(.load(lv), t, loc), r, loc), to: t, at: loc)
            return Expr(.assign(lv, value), t, loc)
        case .conditional(let c, let a, let b):
            let cond = try condition(c)
            let x = try expr(a), y = try expr(b)
            let t: CType
            switch (x.type, y.type) {
            case (.pointer, _): t = x.type
            case (_, .pointer): t = y.type
            case (.record, .record) where x.type == y.type: t = x.type
            case (.void, .void): t = .void
            default:
                t = common(try promote(x).type, try promote(y).type)
            }
            if case .void = t { return Expr(.conditional(cond, x, y), t, loc) }
            return Expr(.conditional(cond, try convert(x, to: t, at: a.location), try convert(y, to: t, at: b.location)), t, loc)
        case .call(let name, let args):
            return try call(name, args, loc)
        case .callThrough(let f, let args):
            let name: String = { if case .member(_, let field, _) = f.kind { return field } else { return "pointer" } }()
            return try callThrough(try expr(f), name, args, loc, targets: targets(f))
        case .member(let base, let field, let arrow):
            return try member(base, field, arrow: arrow, loc)
        case .cast(let t, let x):
            let target = try resolve(t)
            let v = try expr(x)
            if case .void = target { return Expr(.sequence(v, constant(0, model.int, loc)), .void, loc) }
            return try convert(v, to: target, at: loc)
        case .typeArgument:
            throw Diagnostic(loc, "a type is only allowed as the first argument of min_t/max_t/clamp_t")
        }
    }

    mutating func identifier(_ name: String, _ loc: SourceLocation) throws -> Expr {
        if let slot = lookup(name) {
            if referenceSlots.contains(slot) {
                throw Diagnostic(loc, "'\(name)' is an out-parameter (a pointer): read and write it as *\(name), pass it on as \(name) only to another out-parameter")
            }
            return Expr(.load(.local(slot)), slotTypes[slot], loc)
        }
        switch name {
        case "NULL": return constant(0, .pointer(.void), loc)
        case "true": return constant(1, .bool, loc)
        case "false": return constant(0, .bool, loc)
        case "current": return constant(1, .pointer(.task), loc)
        default: break
        }
        if let kind = Catalog.constants[name] { return configValue(name, Catalog.type(of: kind, model: model), loc) }
        if let index = functionIndex[name] {
            // A function designator: the value a function pointer holds (a long-sized word).
            guard Checker.fits(UInt64(index + 1), bits: model.longBits, signed: false) else {
                throw Diagnostic(loc, "too many functions for a function pointer to '\(name)' in a \(model.longBits)-bit space")
            }
            return Expr(.constant(UInt64(index + 1)), .pointer(.function(parameters: signatures[index].params.count)), loc)
        }
        // A global the environment defines (`va_align`, `shm_mnt`): `__global_NAME()`.
        if functionIndex["__global_" + name] != nil { return try call("__global_" + name, [], loc) }
        throw Diagnostic(loc, "use of undeclared identifier '\(name)'")
    }

    mutating func configValue(_ name: String, _ type: CType, _ loc: SourceLocation) -> Expr {
        let i: Int
        if let existing = configIndex[name] {
            i = existing
        } else {
            i = configNames.count
            configIndex[name] = i
            configNames.append(name)
            configTypes.append(type)
        }
        return Expr(.config(i), configTypes[i], loc)
    }

    func integerLiteral(_ v: UInt64, unsigned: Bool, longs: Int, decimal: Bool, _ loc: SourceLocation) throws -> Expr {
        // C11 6.4.4.1: the first type in the list that can represent the value.
        var candidates: [CType] = []
        let ints: [CType] = [model.int, model.long, model.longLong]
        let uints: [CType] = [model.unsignedInt, model.unsignedLong, model.unsignedLongLong]
        for rank in longs..<3 {
            if unsigned { candidates.append(uints[rank]) }
            else if decimal { candidates.append(ints[rank]) }
            else { candidates.append(ints[rank]); candidates.append(uints[rank]) }
        }
        for t in candidates where Checker.fits(v, bits: t.bits, signed: t.isSigned) { return constant(v, t, loc) }
        if let scaled = model.scaledLiterals[v], scaled != v {
            return try integerLiteral(scaled, unsigned: unsigned, longs: longs, decimal: decimal, loc)
        }
        throw Diagnostic(loc, "integer constant \(v) is too large for its type in this data model (long is \(model.longBits) bits)")
    }

    mutating func lvalue(_ e: ExprSyntax) throws -> (LValue, CType) {
        switch e.kind {
        case .unary("*", let inner):
            guard case .identifier(let n) = inner.kind, let slot = lookup(n), referenceSlots.contains(slot) else {
                throw Diagnostic(e.location, "only an out-parameter can be stored through ('*p = value' for 'unsigned long *p')")
            }
            return (.local(slot), slotTypes[slot])
        case .identifier(let name):
            guard let slot = lookup(name) else {
                if Catalog.constants[name] != nil { throw Diagnostic(e.location, "'\(name)' is a constant and cannot be assigned") }
                throw Diagnostic(e.location, "use of undeclared identifier '\(name)'")
            }
            if referenceSlots.contains(slot) {
                throw Diagnostic(e.location, "'\(name)' is an out-parameter (a pointer): store through it as *\(name) = ...")
            }
            if case .pointer(.record(let tag)) = slotTypes[slot] {
                throw Diagnostic(e.location, "cannot assign to the struct \(tag) pointer '\(name)'")
            }
            return (.local(slot), slotTypes[slot])
        case .member(let base, let field, let arrow):
            let (lv, tag) = try recordLValue(base, arrow: arrow)
            guard let i = CTypeNames.structFields[tag]?.firstIndex(of: field) else {
                throw Diagnostic(e.location, "struct \(tag) has no field '\(field)'")
            }
            return (.field(lv, i), model.unsignedLong)
        default:
            throw Diagnostic(e.location, "expression is not assignable")
        }
    }

    /// The storage of a struct reached by `x.` (a struct local) or `p->` (a struct pointer parameter).
    mutating func recordLValue(_ base: ExprSyntax, arrow: Bool) throws -> (LValue, String) {
        guard case .identifier(let name) = base.kind, let slot = lookup(name) else {
            throw Diagnostic(base.location, "member access needs a struct variable on the left")
        }
        switch (slotTypes[slot], arrow) {
        case (.record(let tag), false), (.pointer(.record(let tag)), true): return (.local(slot), tag)
        case (.record, true): throw Diagnostic(base.location, "'\(name)' is a struct, use '.' instead of '->'")
        case (.pointer(.record), false): throw Diagnostic(base.location, "'\(name)' is a pointer, use '->' instead of '.'")
        default: throw Diagnostic(base.location, "'\(name)' has type '\(slotTypes[slot])', which has no fields")
        }
    }

    mutating func member(_ base: ExprSyntax, _ field: String, arrow: Bool, _ loc: SourceLocation) throws -> Expr {
        // The base checked once (a struct local is not an expression: nil).
        let checkedBase = try? expr(base)
        // Fields of structs hugealign does not lay out come from the environment's accessors.
        if let b = checkedBase, case .pointer(let p) = b.type, let tag = Checker.accessorTag(p), p != .task || field != "mm",
           p != .mm || (Catalog.mmFields[field] == nil && functionIndex["mm_struct__\(field)"] != nil) {
            let accessor = "\(tag)__\(field)"
            guard functionIndex[accessor] != nil else {
                if case .file = p {
                    throw Diagnostic(loc, "struct file fields are not modelled: '\(field)' (the file's kind is its value: FILE_THP, FILE_SHMEM, ...; only a kernel tree's environment defines accessors such as \(accessor))")
                }
                throw Diagnostic(loc, "field '\(field)' of struct \(tag) is not modelled (no accessor \(accessor) in the environment)")
            }
            return try call(accessor, [base], loc)
        }
        if arrow, let b = checkedBase, case .pointer(let p) = b.type {
            switch p {
            case .task:
                guard field == "mm" else { throw Diagnostic(loc, "only 'current->mm' is modelled") }
                return Expr(.sequence(b, constant(1, .pointer(.mm), loc)), .pointer(.mm), loc)
            case .mm:
                guard let name = Catalog.mmFields[field] else {
                    throw Diagnostic(loc, "mm_struct field '\(field)' is not modelled (known: \(Catalog.mmFields.keys.sorted().joined(separator: ", ")); test flags with mm_flags_test or test_bit)")
                }
                return configValue(name, model.unsignedLong, loc)
            case .vma:
                guard let f = VMAField(rawValue: field) else {
                    throw Diagnostic(loc, "vm_area_struct field '\(field)' is not modelled (known: vm_start, vm_end, vm_flags, vm_pgoff)")
                }
                return Expr(.layout(.field(f), [b], out: nil), model.unsignedLong, loc)
            default: break
            }
        }
        let (lv, tag) = try recordLValue(base, arrow: arrow)
        guard let i = CTypeNames.structFields[tag]?.firstIndex(of: field) else {
            throw Diagnostic(loc, "struct \(tag) has no field '\(field)'")
        }
        return Expr(.load(.field(lv, i)), model.unsignedLong, loc)
    }

    /// `vma_iter_area_lowest(low, high, size, &start)` in a property is hugealign's window search,
    /// even where a kernel tree's environment defines the kernel's `vma_iter_area_lowest(&vmi, ...)`.
    func isLayoutPrimitiveCall(_ name: String, _ args: [ExprSyntax], _ params: [Parameter]) -> Bool {
        guard name == "vma_iter_area_lowest" || name == "vma_iter_area_highest", args.count == 4,
              case .pointer(.record("vma_iterator"))? = params.first?.type else { return false }
        if case .unary("&", _) = args[0].kind { return false }
        if case .identifier(let n) = args[0].kind, let slot = lookup(n), case .pointer(.record) = slotTypes[slot] { return false }
        return true
    }

    /// The struct name under which the environment's accessors for a pointer's fields are found.
    static func accessorTag(_ p: Pointee) -> String? {
        switch p {
        case .opaque(let tag): return tag
        case .file: return "file"
        case .task: return "task_struct"
        case .mm: return "mm_struct"
        default: return nil
        }
    }

    mutating func call(_ name: String, _ args: [ExprSyntax], _ loc: SourceLocation) throws -> Expr {
        if let slot = lookup(name), case .pointer(.function) = slotTypes[slot] {
            return try callThroughPointer(slot, name, args, loc)
        }
        if let index = functionIndex[name], !isLayoutPrimitiveCall(name, args, signatures[index].params) {
            let sig = signatures[index]
            guard args.count == sig.params.count else {
                throw Diagnostic(loc, "'\(name)' takes \(sig.params.count) argument\(sig.params.count == 1 ? "" : "s") but \(args.count) were given")
            }
            var out: [Argument] = []
            for (a, p) in zip(args, sig.params) {
                if case .pointer(.record(let tag)) = p.type {
                    out.append(.reference(try referenceArgument(a, tag: tag)))
                } else if case .pointer(.integer(let bits, let signed)) = p.type {
                    out.append(.reference(try integerReference(a, .int(bits: bits, signed: signed))))
                } else {
                    out.append(.value(try convert(try expr(a), to: p.type, at: a.location)))
                }
            }
            if currentFunction >= 0 { callGraph[currentFunction].insert(index) }
            return Expr(.call(index, out), sig.returnType, loc)
        }
        if let e = try macro(name, args, loc) { return e }
        if ["assume", "assert", "BUG_ON", "VM_BUG_ON", "WARN_ON", "WARN_ON_ONCE", "VM_WARN_ON", "VM_WARN_ON_ONCE"].contains(name) {
            throw Diagnostic(loc, "'\(name)' is a statement; use it on its own line")
        }
        throw Diagnostic(loc, "call to unknown function '\(name)'")
    }

    /// `&local` of an integer type for an out-parameter, or an out-parameter passed on.
    mutating func integerReference(_ a: ExprSyntax, _ type: CType) throws -> LValue {
        var target = a
        let addressOf: Bool
        if case .unary("&", let inner) = a.kind { target = inner; addressOf = true } else { addressOf = false }
        guard case .identifier(let n) = target.kind, let slot = lookup(n) else {
            throw Diagnostic(a.location, "expected &variable for a '\(type) *' parameter")
        }
        guard addressOf != referenceSlots.contains(slot) else {
            throw Diagnostic(a.location, addressOf ? "'\(n)' is already a pointer; pass it without '&'" : "pass the variable by address: &\(n)")
        }
        guard slotTypes[slot] == type else {
            throw Diagnostic(a.location, "'\(n)' has type '\(slotTypes[slot])' but '\(type) *' is expected")
        }
        return .local(slot)
    }

    /// `&local` for a struct local, or a struct pointer parameter passed on.
    mutating func referenceArgument(_ a: ExprSyntax, tag: String) throws -> LValue {
        var target = a
        if case .unary("&", let inner) = a.kind { target = inner }
        guard case .identifier(let n) = target.kind, let slot = lookup(n) else {
            throw Diagnostic(a.location, "expected &variable for a 'struct \(tag) *' parameter")
        }
        switch slotTypes[slot] {
        case .record(tag):
            if case .unary("&", _) = a.kind { return .local(slot) }
            throw Diagnostic(a.location, "pass the struct by address: &\(n)")
        case .pointer(.record(tag)):
            if case .unary("&", _) = a.kind { throw Diagnostic(a.location, "'\(n)' is already a pointer; pass it without '&'") }
            return .local(slot)
        default:
            throw Diagnostic(a.location, "'\(n)' has type '\(slotTypes[slot])' but 'struct \(tag) *' is expected")
        }
    }
}

