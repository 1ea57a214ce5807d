/// Contracts (assume-guarantee): a function's callers see only what its contract says.
///
///     contract unsigned long vm_unmapped_area(struct vm_unmapped_area_info *info)
///         requires info->length != 0 && ...
///         ensures result == -ENOMEM || range_free(result, info->length)
///         ensures ...;
///
/// A property with the clause `contract vm_unmapped_area` (and `layout any`) is proved with every
/// call to the function replaced by: an obligation that each `requires` holds (of its arguments), a
/// fresh result, and the assumption that each `ensures` holds of it. That is sound once the contract itself is
/// proved — for all arguments and every layout, `requires` ⇒ the function returns a result meeting
/// `ensures` and leaves the structs it is given unchanged — and the prover proves exactly that
/// (`Contract.obligation`) before it uses the contract, under the using property's configuration.
///
/// The parser lowers a declaration into ordinary spec syntax, so the one checker and the one
/// evaluator handle it: two functions for the clauses, and the obligation as a property whose inputs
/// are the scalar arguments and each field of each struct argument.
extension Parser {
    mutating func parseContract() throws -> (ContractSyntax, [FunctionSyntax]) {
        let loc = next().location
        guard isTypeStart(current) else { throw Diagnostic(current.location, "expected the return type of the function the contract is for") }
        var returnType = try parseType()
        returnType.pointers += countStars()
        let (name, _) = try identifier("the name of the function the contract is for")
        let params = try parseParameters()
        if let p = params.first(where: { $0.name == "result" }) {
            throw Diagnostic(p.location, "a contract's parameter cannot be named 'result' (it names the function's result in 'ensures')")
        }
        var requires: [ExprSyntax] = []
        var ensures: [ExprSyntax] = []
        var unwind: Int?
        var arithmetic: String?
        var uses: [(name: String, location: SourceLocation)] = []
        while !current.isPunct(";") {
            let (clause, cloc) = try identifier("'requires', 'ensures', 'unwind', 'arithmetic' or 'contract'")
            switch clause {
            case "requires":
                requires.append(try parseExpression())
            case "ensures":
                ensures.append(try parseExpression())
            case "unwind", "contract", "arithmetic":
                try proofClause(clause, unwind: &unwind, arithmetic: &arithmetic, contracts: &uses)
            default:
                throw Diagnostic(cloc, "unknown contract clause '\(clause)' (expected 'requires C', 'ensures C', 'unwind N', 'arithmetic bv|int|both' or 'contract FUNCTION')")
            }
        }
        try expect(";", "after the contract")
        lastDeclLine = tokens[max(0, index - 1)].location.line
        guard !ensures.isEmpty else { throw Diagnostic(loc, "contract for '\(name)' has no 'ensures' clause") }
        if returnType.words == ["void"] && returnType.structTag == nil && returnType.pointers == 0 {
            throw Diagnostic(returnType.location, "a contract is for a function that returns a value")
        }

        func ident(_ s: String, _ l: SourceLocation) -> ExprSyntax { ExprSyntax(kind: .identifier(s), location: l) }
        func block(_ items: [StmtSyntax], _ l: SourceLocation) -> StmtSyntax { StmtSyntax(kind: .block(items), location: l) }
        let boolType = TypeSyntax(words: ["bool"], structTag: nil, pointers: 0, location: loc)
        // One function per clause: the obligation then asserts each one apart (each to the engine
        // that decides it best), and a caller assumes each.
        var functions: [FunctionSyntax] = []
        func clause(_ kind: String, _ i: Int, _ e: ExprSyntax, _ extra: [ParameterSyntax]) -> String {
            let f = "__contract_\(kind)\(i + 1)_\(name)"
            functions.append(FunctionSyntax(name: f, returnType: boolType, parameters: params + extra,
                                            body: block([StmtSyntax(kind: .returnStmt(e), location: e.location)], e.location), location: e.location))
            return f
        }
        let requiresNames = requires.enumerated().map { clause("requires", $0, $1, []) }
        let ensuresNames = ensures.enumerated().map {
            clause("ensures", $0, $1, [ParameterSyntax(type: returnType, name: "result", location: $1.location)])
        }

        // The obligation: its inputs are the scalar arguments and every field of the struct ones.
        var inputs: [ParameterSyntax] = []
        var body: [StmtSyntax] = []
        var arguments: [ExprSyntax] = []
        var unchanged: [ExprSyntax] = []
        for p in params {
            guard let tag = p.type.structTag, p.type.pointers == 1, let fields = CTypeNames.structFields[tag] else {
                inputs.append(p)
                arguments.append(ident(p.name, p.location))
                continue
            }
            let fieldType = TypeSyntax(words: ["unsigned", "long"], structTag: nil, pointers: 0, location: p.location)
            var initial: [(field: String?, value: InitializerSyntax, location: SourceLocation)] = []
            for f in fields {
                inputs.append(ParameterSyntax(type: fieldType, name: "\(p.name)_\(f)", location: p.location))
                initial.append((f, .expr(ident("\(p.name)_\(f)", p.location)), p.location))
                let field = ExprSyntax(kind: .member(ident(p.name, p.location), f, arrow: false), location: p.location)
                unchanged.append(ExprSyntax(kind: .binary("==", field, ident("\(p.name)_\(f)", p.location)), location: p.location))
            }
            let local = TypeSyntax(words: [], structTag: tag, pointers: 0, location: p.location)
            body.append(StmtSyntax(kind: .declaration(local, [DeclaratorSyntax(name: p.name, pointers: 0, initializer: .braces(initial, p.location),
                                                                                location: p.location)]), location: p.location))
            arguments.append(ExprSyntax(kind: .unary("&", ident(p.name, p.location)), location: p.location))
        }
        func call(_ f: String, _ args: [ExprSyntax], _ l: SourceLocation) -> ExprSyntax { ExprSyntax(kind: .call(f, args), location: l) }
        func statement(_ f: String, _ e: ExprSyntax, _ l: SourceLocation) -> StmtSyntax {
            StmtSyntax(kind: .expression(call(f, [e], l)), location: l)
        }
        // The clauses as written, in a function that takes the arguments as the contract declares
        // them: each `ensures` is then an assert of its own expression, which `arithmetic both` splits
        // into parts and gives each to the engine that decides it.
        let checkName = "__contract_check_\(name)"
        var check: [StmtSyntax] = [StmtSyntax(kind: .declaration(returnType, [DeclaratorSyntax(name: "result", pointers: 0, initializer: nil, location: loc)]), location: loc)]
        for e in requires { check.append(statement("assume", e, e.location)) }
        let assign = ExprSyntax(kind: .assign("=", ident("result", loc), call(name, params.map { ident($0.name, $0.location) }, loc)), location: loc)
        check.append(StmtSyntax(kind: .expression(assign), location: loc))
        for e in ensures { check.append(statement("assert", e, e.location)) }
        functions.append(FunctionSyntax(name: checkName, returnType: TypeSyntax(words: ["void"], structTag: nil, pointers: 0, location: loc),
                                        parameters: params, body: block(check, loc), location: loc))
        body.append(StmtSyntax(kind: .expression(call(checkName, arguments, loc)), location: loc))
        if let first = unchanged.first {
            let all = unchanged.dropFirst().reduce(first) { ExprSyntax(kind: .binary("&&", $0, $1), location: $1.location) }
            body.append(statement("assert", all, all.location))
        }
        var obligation = PropertySyntax(name: "contract_\(name)", parameters: inputs, unwind: unwind, layoutVMAs: nil, config: nil,
                                        body: block(body, loc), expect: nil, location: loc)
        obligation.anyLayout = true
        obligation.arithmetic = arithmetic
        obligation.contracts = uses
        return (ContractSyntax(name: name, requiresFunctions: requiresNames, ensuresFunctions: ensuresNames, obligation: obligation, location: loc),
                functions)
    }
}
