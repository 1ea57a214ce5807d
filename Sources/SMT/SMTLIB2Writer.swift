import CZ3

/// Prints assertions as SMT-LIB2 in time and space linear in their DAG: every compound term
/// shared by two parents (or long) is a `define-fun` of its own, printed once, before its first use.
///
/// Why not `Z3_solver_to_string`: Debian's Z3 4.8.12 printed the relaxed integer form of a
/// 64-bit two-call property over every layout for ten minutes, inside one C call that neither
/// `--timeout` nor SIGTERM could interrupt. The queries go to the other solvers of the portfolio
/// (Bitwuzla, a newer Z3) and to `--smt2-out`; a printer that cannot blow up keeps every budget
/// meaningful.
struct SMTLIB2Writer {
    let c: Z3_context
    /// Per term (by AST id): how many parents use it, and its name once defined.
    private var uses: [UInt32: Int] = [:]
    private var defined: [UInt32: String] = [:]
    private var declared: Set<String> = []
    private var declarations = "", definitions = ""

    init(_ context: Context) { c = context.raw }

    /// `(set-logic …)`, declarations, definitions and one `assert` per assertion.
    static func script(_ context: Context, logic: String, assertions: [Z3_ast]) -> String {
        var w = SMTLIB2Writer(context)
        for a in assertions { w.count(a) }
        let bodies = assertions.map { w.expression($0) }
        var out = "(set-logic \(logic))\n"
        out += w.declarations + w.definitions
        for b in bodies { out += "(assert \(b))\n" }
        return out
    }

    private func id(_ a: Z3_ast) -> UInt32 { Z3_get_ast_id(c, a) }

    private func isCompound(_ a: Z3_ast) -> Bool {
        Z3_get_ast_kind(c, a) == Z3_APP_AST && Z3_get_app_num_args(c, Z3_to_app(c, a)) > 0
    }

    private func arguments(_ a: Z3_ast) -> [Z3_ast] { Term.application(c, a)?.arguments ?? [] }

    /// Counts the parents of every compound term (iteratively: terms nest thousands deep).
    private mutating func count(_ root: Z3_ast) {
        var stack = [root]
        while let a = stack.popLast() {
            guard isCompound(a) else { continue }
            let n = (uses[id(a)] ?? 0) + 1
            uses[id(a)] = n
            if n == 1 { stack.append(contentsOf: arguments(a)) }
        }
    }

    /// The text of `root`: shared compound terms by name (defined first), others inline.
    private mutating func expression(_ root: Z3_ast) -> String {
        // Post-order over the terms not yet named: each gets its text once its arguments have one.
        var text: [UInt32: String] = [:]
        var stack: [(ast: Z3_ast, expanded: Bool)] = [(root, false)]
        while let (a, expanded) = stack.popLast() {
            let i = id(a)
            if defined[i] != nil || text[i] != nil { continue }
            guard isCompound(a) else {
                text[i] = leaf(a)
                continue
            }
            let args = arguments(a)
            if !expanded {
                stack.append((a, true))
                for x in args.reversed() where defined[id(x)] == nil && text[id(x)] == nil { stack.append((x, false)) }
                continue
            }
            let body = "(\(op(a)) \(args.map { defined[id($0)] ?? text[id($0)]! }.joined(separator: " ")))"
            // Shared, or long enough that copying it into its parent would make a deep chain's
            // printing quadratic.
            if (uses[i] ?? 0) > 1 || body.utf8.count > 2048 {
                let name = "t!\(i)"
                definitions += "(define-fun \(name) () \(sort(Z3_get_sort(c, a))) \(body))\n"
                defined[i] = name
            } else {
                text[i] = body
            }
        }
        return defined[id(root)] ?? text[id(root)]!
    }

    private func symbol(_ s: Z3_symbol) -> String {
        Z3_get_symbol_kind(c, s) == Z3_INT_SYMBOL ? "k!\(Z3_get_symbol_int(c, s))" : String(cString: Z3_get_symbol_string(c, s))
    }

    private static let simple = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~!@$%^&*_-+=<>.?/")

    private func quoted(_ name: String) -> String {
        name.allSatisfy(Self.simple.contains) && !(name.first?.isNumber ?? true) ? name : "|\(name)|"
    }

    private func sort(_ s: Z3_sort) -> String {
        switch Z3_get_sort_kind(c, s) {
        case Z3_BOOL_SORT: return "Bool"
        case Z3_INT_SORT: return "Int"
        case Z3_BV_SORT: return "(_ BitVec \(Z3_get_bv_sort_size(c, s)))"
        default: return String(cString: Z3_sort_to_string(c, s))
        }
    }

    /// A numeral, a constant (declared on first sight), `true` or `false`.
    private mutating func leaf(_ a: Z3_ast) -> String {
        let s = Z3_get_sort(c, a)!
        // (Z3 counts `true` and `false` as numerals too.)
        if Z3_is_numeral_ast(c, a), Z3_get_sort_kind(c, s) != Z3_BOOL_SORT {
            let digits = String(cString: Z3_get_numeral_string(c, a))
            if Z3_get_sort_kind(c, s) == Z3_BV_SORT { return "(_ bv\(digits) \(Z3_get_bv_sort_size(c, s)))" }
            return digits.hasPrefix("-") ? "(- \(digits.dropFirst()))" : digits
        }
        guard Z3_get_ast_kind(c, a) == Z3_APP_AST else { return String(cString: Z3_ast_to_string(c, a)) }
        let decl = Z3_get_app_decl(c, Z3_to_app(c, a))!
        switch Z3_get_decl_kind(c, decl) {
        case Z3_OP_TRUE: return "true"
        case Z3_OP_FALSE: return "false"
        case Z3_OP_UNINTERPRETED:
            let name = quoted(symbol(Z3_get_decl_name(c, decl)))
            if declared.insert(name).inserted { declarations += "(declare-fun \(name) () \(sort(s)))\n" }
            return name
        default: return op(a)
        }
    }

    /// The operator of an application: its name, indexed (`(_ extract 7 0)`) where it has
    /// integer parameters.
    private func op(_ a: Z3_ast) -> String {
        let decl = Z3_get_app_decl(c, Z3_to_app(c, a))!
        // Z3 names a few built-ins otherwise than SMT-LIB does.
        let name: String
        switch Z3_get_decl_kind(c, decl) {
        case Z3_OP_ITE: name = "ite"
        case Z3_OP_IFF, Z3_OP_EQ: name = "="
        case Z3_OP_IMPLIES: name = "=>"
        default: name = symbol(Z3_get_decl_name(c, decl))
        }
        let n = Z3_get_decl_num_parameters(c, decl)
        guard n > 0 else { return Z3_get_decl_kind(c, decl) == Z3_OP_UNINTERPRETED ? quoted(name) : name }
        let indices = (0..<n).map { Z3_get_decl_parameter_kind(c, decl, $0) == Z3_PARAMETER_INT ? "\(Z3_get_decl_int_parameter(c, decl, $0))" : "?" }
        return "(_ \(name) \(indices.joined(separator: " ")))"
    }
}
