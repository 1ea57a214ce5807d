/// Kernel macros and helpers, expanded into typed IR exactly as the kernel's definitions read, so
/// both value domains evaluate them with the same core operations (one semantics).
extension Checker {
    mutating func macro(_ name: String, _ args: [ExprSyntax], _ loc: SourceLocation) throws -> Expr? {
        func arity(_ n: Int) throws {
            guard args.count == n else { throw Diagnostic(loc, "'\(name)' takes \(n) argument\(n == 1 ? "" : "s") but \(args.count) were given") }
        }
        let ul = model.unsignedLong
        switch name {
        case "IS_ENABLED", "IS_BUILTIN", "IS_REACHABLE":
            try arity(1)
            guard case .identifier(let option) = args[0].kind, option.hasPrefix("CONFIG_") else {
                throw Diagnostic(args[0].location, "\(name) needs a CONFIG_ option name")
            }
            return configValue(option, model.int, loc)
        case "_calc_vm_trans":
            // include/linux/mman.h: moves bit1 of x to bit2, or 0 when either bit is 0 (absent).
            // ((!(bit1) || !(bit2)) ? 0 : ((bit1) <= (bit2) ? ((x) & (bit1)) * ((bit2) / (bit1))
            //                                              : ((x) & (bit1)) / ((bit1) / (bit2))))
            try arity(3)
            func e(_ k: ExprSyntax.Kind) -> ExprSyntax { ExprSyntax(kind: k, location: loc) }
            let (x, bit1, bit2) = (args[0], args[1], args[2])
            let zero = e(.integer(value: 0, unsigned: false, longs: 0, decimal: true))
            let masked = e(.binary("&", x, bit1))
            let moved = e(.conditional(e(.binary("<=", bit1, bit2)), e(.binary("*", masked, e(.binary("/", bit2, bit1)))),
                                       e(.binary("/", masked, e(.binary("/", bit1, bit2))))))
            return try expr(e(.conditional(e(.binary("||", e(.unary("!", bit1)), e(.unary("!", bit2)))), zero, moved)))
        case "arch_calc_vm_prot_bits", "arch_calc_vm_flag_bits":
            // include/linux/mman.h's fallbacks, 0 whatever the arguments (two in 6.12, one in 6.1).
            // x86's protection-key bits and arm64's BTI/MTE bits do not move a mapping.
            return lit(0, loc)
        case "likely", "unlikely":
            try arity(1)
            return try condition(args[0])
        case "IS_ALIGNED":
            // (((x) & ((typeof(x))(a) - 1)) == 0)
            try arity(2)
            let x = try expr(args[0]), a = try expr(args[1])
            let mask = try arith(.sub, try cast(a, x.type), lit(1, loc), loc)
            return try compare(.eq, try arith(.and, x, mask, loc), lit(0, loc), loc)
        case "ALIGN", "__ALIGN_KERNEL", "ALIGN_DOWN", "PAGE_ALIGN", "PAGE_ALIGN_DOWN":
            var x: Expr, a: Expr
            if name.hasPrefix("PAGE_") {
                try arity(1)
                x = try expr(args[0])
                a = configValue("PAGE_SIZE", ul, loc)
            } else {
                try arity(2)
                x = try expr(args[0])
                a = try expr(args[1])
            }
            if name.hasSuffix("_DOWN") {
                // ALIGN_DOWN(x, a) = __ALIGN_KERNEL((x) - ((a) - 1), (a))
                x = try arith(.sub, x, try arith(.sub, a, lit(1, loc), loc), loc)
            }
            // __ALIGN_KERNEL_MASK(x, (typeof(x))(a) - 1) = (((x) + (mask)) & ~(mask))
            let mask = try arith(.sub, try cast(a, x.type), lit(1, loc), loc)
            let notMask = Expr(.unary(.bitNot, try promote(mask)), try promote(mask).type, loc)
            return try arith(.and, try arith(.add, x, mask, loc), notMask, loc)
        case "round_up", "round_down":
            // __round_mask(x, y) = ((__typeof__(x))((y)-1))
            try arity(2)
            let x = try expr(args[0]), y = try expr(args[1])
            let mask = try cast(try arith(.sub, y, lit(1, loc), loc), x.type)
            if name == "round_up" {
                // ((((x)-1) | __round_mask(x, y))+1)
                return try arith(.add, try arith(.or, try arith(.sub, x, lit(1, loc), loc), mask, loc), lit(1, loc), loc)
            }
            // ((x) & ~__round_mask(x, y))
            let pm = try promote(mask)
            return try arith(.and, x, Expr(.unary(.bitNot, pm), pm.type, loc), loc)
        case "offset_in_page":
            // ((unsigned long)(p) & ~PAGE_MASK)
            try arity(1)
            let pm = configValue("PAGE_MASK", ul, loc)
            return try arith(.and, try cast(try expr(args[0]), ul), Expr(.unary(.bitNot, pm), ul, loc), loc)
        case "IS_ERR", "IS_ERR_OR_NULL":
            // IS_ERR_VALUE((unsigned long)ptr), and NULL for IS_ERR_OR_NULL.
            try arity(1)
            let p = try expr(args[0])
            guard case .pointer = p.type else { throw Diagnostic(args[0].location, "\(name) needs a pointer") }
            let value = try cast(p, ul)
            let maxErrno = configValue("MAX_ERRNO", model.int, loc)
            let isErr = try compare(.ge, value, try cast(Expr(.unary(.neg, maxErrno), model.int, loc), ul), loc)
            if name == "IS_ERR" { return isErr }
            return Expr(.or(try compare(.eq, value, constant(0, ul, loc), loc), isErr), .bool, loc)
        case "IS_ERR_VALUE":
            // (unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO
            try arity(1)
            let maxErrno = configValue("MAX_ERRNO", model.int, loc)
            let limit = try cast(Expr(.unary(.neg, maxErrno), model.int, loc), ul)
            return try compare(.ge, try cast(try expr(args[0]), ul), limit, loc)
        case "min", "max", "MIN", "MAX", "min_t", "max_t", "umin", "umax":
            let typed = name.hasSuffix("_t")
            try arity(typed ? 3 : 2)
            var a = try expr(args[typed ? 1 : 0]), b = try expr(args[typed ? 2 : 1])
            if typed {
                guard case .typeArgument(let ts) = args[0].kind else { throw Diagnostic(args[0].location, "\(name) needs a type as its first argument") }
                let t = try resolve(ts)
                a = try cast(a, t)
                b = try cast(b, t)
            } else if name == "umin" || name == "umax" {
                a = try cast(a, ul)
                b = try cast(b, ul)
            } else if name == "min" || name == "max" {
                // The kernel rejects mixing signed and unsigned non-constant operands at compile time.
                let pa = try promote(a), pb = try promote(b)
                if pa.type.isSigned != pb.type.isSigned && !isConstant(a) && !isConstant(b) {
                    throw Diagnostic(loc, "\(name)() of '\(a.type)' and '\(b.type)' mixes signedness; the kernel rejects this (use \(name)_t)")
                }
            }
            let isMin = name.lowercased().hasPrefix("min") || name == "umin"
            let pa = try promote(a), pb = try promote(b)
            let t = common(pa.type, pb.type)
            let ca = try cast(a, t), cb = try cast(b, t)
            let test = try compare(isMin ? .lt : .gt, ca, cb, loc)
            return Expr(.conditional(test, ca, cb), t, loc)
        case "clamp", "clamp_t":
            let typed = name == "clamp_t"
            try arity(typed ? 4 : 3)
            var v = try expr(args[typed ? 1 : 0]), lo = try expr(args[typed ? 2 : 1]), hi = try expr(args[typed ? 3 : 2])
            if typed {
                guard case .typeArgument(let ts) = args[0].kind else { throw Diagnostic(args[0].location, "clamp_t needs a type") }
                let t = try resolve(ts)
                v = try cast(v, t); lo = try cast(lo, t); hi = try cast(hi, t)
            }
            let t = common(common(try promote(v).type, try promote(lo).type), try promote(hi).type)
            let cv = try cast(v, t), clo = try cast(lo, t), chi = try cast(hi, t)
            let low = Expr(.conditional(try compare(.lt, cv, clo, loc), clo, cv), t, loc)
            return Expr(.conditional(try compare(.gt, low, chi, loc), chi, low), t, loc)
        case "upper_32_bits":
            // ((u32)(((n) >> 16) >> 16))
            try arity(1)
            let n = try expr(args[0])
            return try cast(try arith(.shr, try arith(.shr, n, lit(16, loc), loc), lit(16, loc), loc), model.unsignedInt)
        case "lower_32_bits":
            // ((u32)((n) & 0xffffffff))
            try arity(1)
            let n = try expr(args[0])
            let m = try integerLiteral(0xffff_ffff, unsigned: false, longs: 0, decimal: false, loc)
            return try cast(try arith(.and, n, m, loc), model.unsignedInt)
        case "BIT", "BIT_ULL":
            try arity(1)
            let one = constant(1, name == "BIT" ? ul : model.unsignedLongLong, loc)
            return try arith(.shl, one, try expr(args[0]), loc)
        case "is_power_of_2":
            // (n != 0 && ((n & (n - 1)) == 0)), n unsigned long
            try arity(1)
            let n = try cast(try expr(args[0]), ul)
            let low = try arith(.and, n, try arith(.sub, n, lit(1, loc), loc), loc)
            return Expr(.and(try compare(.ne, n, lit(0, loc), loc), try compare(.eq, low, lit(0, loc), loc)), .bool, loc)
        case "ilog2", "__fls", "fls64":
            // Index of the highest set bit (ilog2(0) is undefined in the kernel; here it is 0, fls64(0) is 0).
            try arity(1)
            let n = try cast(try expr(args[0]), model.unsignedLongLong)
            var result: Expr = lit(0, loc)
            for bit in 1..<n.type.bits {
                let test = try compare(.ne, try arith(.shr, n, lit(UInt64(bit), loc), loc), lit(0, loc), loc)
                result = Expr(.conditional(test, lit(UInt64(name == "fls64" ? bit + 1 : bit), loc), result), model.int, loc)
            }
            if name == "fls64" {
                result = Expr(.conditional(try compare(.eq, n, lit(0, loc), loc), lit(0, loc),
                                           Expr(.conditional(try compare(.eq, n, lit(1, loc), loc), lit(1, loc), result), model.int, loc)), model.int, loc)
            }
            return result
        case "check_add_overflow", "check_sub_overflow", "check_mul_overflow", "check_shl_overflow":
            return try overflowCheck(name, args, loc)
        case "test_bit":
            // test_bit(MMF_TOPDOWN, &current->mm->flags)
            try arity(2)
            return try mmFlag(args[0], loc)
        case "mm_flags_test":
            try arity(2)
            let mm = try expr(args[1])
            guard case .pointer(.mm) = mm.type else { throw Diagnostic(args[1].location, "mm_flags_test needs an mm_struct pointer") }
            return Expr(.sequence(mm, try mmFlag(args[0], loc)), .bool, loc)
        case "find_vma", "find_vma_prev", "vma_iter_area_lowest", "vma_iter_area_highest", "insert_vma":
            usesLayout = true
            return try layoutQuery(name, args, loc)
        case "__layout_area_lowest", "__layout_area_highest":
            // The window searches under names the kernel's iterator functions do not shadow (the
            // kernel environment defines vma_iter_area_lowest(vmi, ...) over them).
            usesLayout = true
            return try layoutQuery(name, args, loc)
        case "__vma_iterator_start":
            // VMA_ITERATOR(vmi, mm, addr): the iterator starts at addr of the one address space.
            try arity(2)
            return Expr(.sequence(try mmArgument(args[0]), try cast(try expr(args[1]), ul)), ul, loc)
        case "READ_ONCE", "data_race":
            try arity(1)
            return try expr(args[0])
        case "is_file_hugepages":
            try arity(1)
            let f = try expr(args[0])
            guard case .pointer(.file) = f.type else { throw Diagnostic(args[0].location, "is_file_hugepages needs a struct file pointer") }
            return try compare(.eq, f, configValue("FILE_HUGETLBFS", ul, loc), loc)
        case "in_compat_syscall", "in_32bit_syscall", "in_ia32_syscall", "in_x32_syscall":
            try arity(0)
            return configValue(name, .bool, loc)
        default:
            return nil
        }
    }

    /// find_vma, find_vma_prev and the window searches (see `LayoutQuery`).
    mutating func layoutQuery(_ name: String, _ args: [ExprSyntax], _ loc: SourceLocation) throws -> Expr {
        let ul = model.unsignedLong
        func arity(_ n: Int) throws {
            guard args.count == n else { throw Diagnostic(loc, "'\(name)' takes \(n) arguments but \(args.count) were given") }
        }
        switch name {
        case "find_vma":
            try arity(2)
            _ = try mmArgument(args[0])
            return Expr(.layout(.findVMA, [try cast(try expr(args[1]), ul)], out: nil), .pointer(.vma), loc)
        case "find_vma_prev":
            try arity(3)
            _ = try mmArgument(args[0])
            let addr = try cast(try expr(args[1]), ul)
            let out = try outArgument(args[2], name, expected: .pointer(.vma))
            return Expr(.layout(.findVMAPrev, [addr], out: out), .pointer(.vma), loc)
        case "insert_vma":
            // Sequences of calls belong to the property; a loop run by induction could not say
            // what it inserted.
            guard currentFunction == -1, loopDepth == 0 else {
                throw Diagnostic(loc, "insert_vma is only allowed in a property's body, outside loops")
            }
            try arity(5)
            _ = try mmArgument(args[0])
            let values = try args[1...].map { try cast(try expr($0), ul) }
            return Expr(.layout(.insert, values, out: nil), .void, loc)
        default:
            try arity(4)
            let low = try cast(try expr(args[0]), ul), high = try cast(try expr(args[1]), ul), size = try cast(try expr(args[2]), ul)
            let out = try outArgument(args[3], name, expected: ul)
            return Expr(.layout(name.hasSuffix("lowest") ? .areaLowest : .areaHighest, [low, high, size], out: out), model.int, loc)
        }
    }

    /// The `mm` argument of the lookups: only `current->mm` (or an mm pointer) exists.
    mutating func mmArgument(_ a: ExprSyntax) throws -> Expr {
        let mm = try expr(a)
        guard case .pointer(.mm) = mm.type else { throw Diagnostic(a.location, "expected an mm_struct pointer such as current->mm") }
        return mm
    }

    /// `&variable` of the given type, for results returned through a pointer.
    mutating func outArgument(_ a: ExprSyntax, _ name: String, expected: CType) throws -> LValue {
        guard case .unary("&", let target) = a.kind else {
            throw Diagnostic(a.location, "the result of \(name) must be passed as &variable")
        }
        let (lv, t) = try lvalue(target)
        guard t == expected else { throw Diagnostic(a.location, "\(name) stores a '\(expected)' but this variable is '\(t)'") }
        return lv
    }

    func isConstant(_ e: Expr) -> Bool {
        switch e.kind {
        case .constant, .config: return true
        case .convert(let x), .unary(_, let x): return isConstant(x)
        default: return false
        }
    }

    mutating func mmFlag(_ flag: ExprSyntax, _ loc: SourceLocation) throws -> Expr {
        guard case .identifier(let name) = flag.kind, name.hasPrefix("MMF_") else {
            throw Diagnostic(flag.location, "expected an MMF_ flag such as MMF_TOPDOWN")
        }
        guard name == "MMF_TOPDOWN" else { throw Diagnostic(flag.location, "mm flag '\(name)' is not modelled (only MMF_TOPDOWN)") }
        return configValue("mm.flags.MMF_TOPDOWN", .bool, loc)
    }

    /// `check_*_overflow(a, b, &d)`: stores the wrapped result in `d` and yields whether the exact
    /// result does not fit `d`'s type. Operands are converted to `d`'s type, which must not change
    /// their value for any input (same signedness, no wider), and must be free of side effects.
    mutating func overflowCheck(_ name: String, _ args: [ExprSyntax], _ loc: SourceLocation) throws -> Expr {
        guard args.count == 3 else { throw Diagnostic(loc, "'\(name)' takes 3 arguments but \(args.count) were given") }
        guard case .unary("&", let target) = args[2].kind else {
            throw Diagnostic(args[2].location, "the result of \(name) must be passed as &variable")
        }
        for a in args.prefix(2) where hasSideEffects(a) {
            throw Diagnostic(a.location, "operands of \(name) must not have side effects")
        }
        let (dest, t) = try lvalue(target)
        guard case .int(let bits, let signed) = t else { throw Diagnostic(target.location, "the result of \(name) must be an integer") }
        var ops: [Expr] = []
        for a in args.prefix(2) {
            let v = try expr(a)
            let fitsType: Bool
            if case .constant(let c) = v.kind, v.type.isInteger {
                fitsType = !v.type.isSigned || c >> UInt64(max(0, v.type.bits - 1)) == 0 || signed
            } else if name == "check_shl_overflow" && ops.count == 1 {
                fitsType = v.type.isInteger
            } else {
                fitsType = v.type == .bool || (v.type.isSigned == signed && v.type.bits <= bits)
            }
            guard fitsType else {
                throw Diagnostic(a.location, "operand of type '\(v.type)' would change value when converted to the result type '\(t)'; cast it explicitly")
            }
            ops.append(name == "check_shl_overflow" && ops.count == 1 ? try cast(v, model.unsignedInt) : try cast(v, t))
        }
        let a = ops[0], b = ops[1]
        let zero = constant(0, t, loc)
        let d = Expr(.load(dest), t, loc)
        let overflow: Expr
        let result: Expr
        switch name {
        case "check_add_overflow":
            result = Expr(.binary(.add, a, b), t, loc)
            if signed {
                // ((a ^ d) & (b ^ d)) < 0
                let x = Expr(.binary(.and, Expr(.binary(.xor, a, d), t, loc), Expr(.binary(.xor, b, d), t, loc)), t, loc)
                overflow = Expr(.compare(.lt, x, zero), .bool, loc)
            } else {
                overflow = Expr(.compare(.lt, d, a), .bool, loc)
            }
        case "check_sub_overflow":
            result = Expr(.binary(.sub, a, b), t, loc)
            if signed {
                // ((a ^ b) & (a ^ d)) < 0
                let x = Expr(.binary(.and, Expr(.binary(.xor, a, b), t, loc), Expr(.binary(.xor, a, d), t, loc)), t, loc)
                overflow = Expr(.compare(.lt, x, zero), .bool, loc)
            } else {
                overflow = Expr(.compare(.lt, a, b), .bool, loc)
            }
        case "check_mul_overflow":
            result = Expr(.binary(.mul, a, b), t, loc)
            // a != 0 && d / a != b   (signed: also a == -1 && b == MIN)
            let nonzero = Expr(.compare(.ne, a, zero), .bool, loc)
            let back = Expr(.compare(.ne, Expr(.binary(.div, d, a), t, loc), b), .bool, loc)
            var o = Expr(.and(nonzero, back), .bool, loc)
            if signed {
                let minusOne = constant(UInt64.max, t, loc)
                let minValue = constant(UInt64(1) << UInt64(bits - 1), t, loc)
                let special = Expr(.and(Expr(.compare(.eq, a, minusOne), .bool, loc), Expr(.compare(.eq, b, minValue), .bool, loc)), .bool, loc)
                o = Expr(.or(o, special), .bool, loc)
            }
            overflow = o
        default:
            // check_shl_overflow: too large a shift, a negative value, or bits shifted out.
            let width = constant(UInt64(bits), model.unsignedInt, loc)
            let tooFar = Expr(.compare(.ge, b, width), .bool, loc)
            result = Expr(.conditional(tooFar, a, Expr(.binary(.shl, a, b), t, loc)), t, loc)
            let shiftedBack = Expr(.compare(.ne, Expr(.binary(.shr, d, b), t, loc), a), .bool, loc)
            let lost = Expr(.and(Expr(.not(tooFar), .bool, loc), shiftedBack), .bool, loc)
            var o = Expr(.or(tooFar, lost), .bool, loc)
            if signed {
                o = Expr(.or(o, Expr(.or(Expr(.compare(.lt, a, zero), .bool, loc), Expr(.compare(.lt, d, zero), .bool, loc)), .bool, loc)), .bool, loc)
            }
            overflow = o
        }
        return Expr(.sequence(Expr(.assign(dest, result), t, loc), overflow), .bool, loc)
    }

    func hasSideEffects(_ e: ExprSyntax) -> Bool {
        switch e.kind {
        case .assign, .preIncDec, .postIncDec: return true
        case .unary(_, let x), .cast(_, let x), .member(let x, _, _): return hasSideEffects(x)
        case .binary(_, let a, let b): return hasSideEffects(a) || hasSideEffects(b)
        case .conditional(let a, let b, let c): return hasSideEffects(a) || hasSideEffects(b) || hasSideEffects(c)
        case .call(_, let args): return args.contains { hasSideEffects($0) }
        default: return false
        }
    }
}
