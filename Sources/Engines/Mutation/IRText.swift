import KernelC
import Semantics

/// C-like text of checked IR, for showing what a mutation changed. Conversions are left out (the
/// checker inserts them where C converts implicitly); every compound operand is parenthesised, so
/// the text is unambiguous rather than pretty.
public struct IRText {
    public let program: Program
    public let function: Function

    public init(program: Program, function: Function) {
        self.program = program
        self.function = function
    }

    public func expr(_ e: Expr) -> String {
        switch e.kind {
        case .constant(let v):
            if e.type == .bool { return v != 0 ? "true" : "false" }
            if e.type.isSigned, e.type.bits < 64 || v >> 63 == 1 {
                let s = ConcreteDomain.signed(v, bits: e.type.bits)
                if s < 0 { return String(s) }
            }
            return v < 4096 ? String(v) : "0x" + String(v, radix: 16)
        case .config(let i): return i < program.configNames.count ? program.configNames[i] : "config#\(i)"
        case .load(let lv): return lvalue(lv)
        case .unary(let op, let a): return (op == .neg ? "-" : "~") + operand(a)
        case .binary(let op, let a, let b): return "\(operand(a)) \(op.rawValue) \(operand(b))"
        case .compare(let op, let a, let b): return "\(operand(a)) \(op.rawValue) \(operand(b))"
        case .not(let a): return "!" + operand(a)
        case .and(let a, let b): return "\(operand(a)) && \(operand(b))"
        case .or(let a, let b): return "\(operand(a)) || \(operand(b))"
        case .conditional(let c, let a, let b): return "\(operand(c)) ? \(operand(a)) : \(operand(b))"
        case .convert(let a): return expr(a)
        case .assign(let lv, let v): return "\(lvalue(lv)) = \(expr(v))"
        case .postUpdate(let lv, let updated): return "\(lvalue(lv)) = \(expr(updated)) (post)"
        case .sequence(let a, let b): return "(\(expr(a)), \(expr(b)))"
        case .call(let f, let args):
            let name = f < program.functions.count ? program.functions[f].name : "f#\(f)"
            return "\(name)(\(args.map(argument).joined(separator: ", ")))"
        case .layout(.field(let f), let args, _) where args.count == 1:
            return operand(args[0]) + "->" + f.rawValue
        case .layout(let q, let args, let out):
            var parts = args.map(expr)
            if let out { parts.append("&" + lvalue(out)) }
            return "\(layoutName(q))(\(parts.joined(separator: ", ")))"
        }
    }

    func operand(_ e: Expr) -> String {
        var inner = e
        while case .convert(let a) = inner.kind { inner = a }
        switch inner.kind {
        case .constant, .config, .load, .call, .layout, .not, .unary: return expr(inner)
        default: return "(" + expr(inner) + ")"
        }
    }

    func argument(_ a: Argument) -> String {
        switch a {
        case .value(let e): return expr(e)
        case .reference(let lv): return "&" + lvalue(lv)
        }
    }

    public func lvalue(_ lv: LValue) -> String {
        switch lv {
        case .local(let slot): return slot < function.slotNames.count ? function.slotNames[slot] : "slot\(slot)"
        case .field(let base, let i):
            var tag: String?
            if case .local(let slot) = base, slot < function.slotTypes.count {
                switch function.slotTypes[slot] {
                case .record(let t), .pointer(.record(let t)): tag = t
                default: break
                }
            }
            let name = tag.flatMap { CTypeNames.structFields[$0] }.flatMap { i < $0.count ? $0[i] : nil } ?? "field\(i)"
            return lvalue(base) + "." + name
        }
    }

    func layoutName(_ q: LayoutQuery) -> String {
        switch q {
        case .findVMA: return "find_vma"
        case .findVMAPrev: return "find_vma_prev"
        case .insert: return "insert_vma"
        case .areaLowest: return "vma_iter_area_lowest"
        case .areaHighest: return "vma_iter_area_highest"
        case .field(let f): return "->" + f.rawValue
        }
    }

    /// The whole statement, nested ones included (one line).
    public func full(_ s: Stmt) -> String {
        switch s {
        case .block(let ss): return "{ " + ss.map(full).joined(separator: " ") + " }"
        case .ifElse(let c, let t, let e): return "if (\(expr(c))) \(full(t))" + (e.map { " else " + full($0) } ?? "")
        case .loop(let l): return "for (;\(l.condition.map(expr) ?? "");\(l.step.map(expr) ?? "")) \(full(l.body))"
        default: return stmt(s)
        }
    }

    /// One line of text for a statement (the first line of a compound one).
    public func stmt(_ s: Stmt) -> String {
        switch s {
        case .expr(let e): return expr(e) + ";"
        case .declare(let slot, let e): return lvalue(.local(slot)) + (e.map { " = " + expr($0) } ?? "") + ";"
        case .block(let ss): return ss.isEmpty ? ";" : "{ … }"
        case .ifElse(let c, _, let e): return "if (\(expr(c))) { … }" + (e == nil ? "" : " else { … }")
        case .loop(let l): return "for (;\(l.condition.map(expr) ?? "");) { … }"
        case .returnValue(let e, _): return "return" + (e.map { " " + expr($0) } ?? "") + ";"
        case .goto(let l): return "goto \(l < function.labelNames.count ? function.labelNames[l] : "L\(l)");"
        case .label(let l): return (l < function.labelNames.count ? function.labelNames[l] : "L\(l)") + ":"
        case .breakLoop: return "break;"
        case .continueLoop: return "continue;"
        case .assume(let e): return "assume(\(expr(e)));"
        case .assert(_, let text, _): return text
        }
    }
}
