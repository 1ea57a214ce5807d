import Foundation

/// Resolves names, checks types and makes C's implicit conversions explicit, producing a `Program`.
/// Every error is a `Diagnostic` at the offending token.
public struct Checker {
    let model: DataModel
    var functionIndex: [String: Int] = [:]
    var syntaxes: [FunctionSyntax] = []
    var signatures: [(params: [Parameter], returnType: CType)] = []
    var configIndex: [String: Int] = [:]
    var configNames: [String] = []
    var configTypes: [CType] = []
    var callGraph: [Set<Int>] = []
    /// Set when a layout query is checked.
    var usesLayout = false
    /// Functions whose address is taken (`get_area = shmem_get_unmapped_area`): the targets a call
    /// through a function pointer may reach.
    var addressTaken: Set<Int> = []
    /// Set when a call through a function pointer is checked: the program then gets
    /// `nullCallIndex`, a function that fails (a call through NULL oopses the kernel).
    var callsThroughPointers = false
    var nullCallIndex = 0
    /// The first call through a pointer: where the failing call is reported.
    var firstIndirectCall: SourceLocation?
    /// The function designators written in each function's body: what a function returning a
    /// function pointer (an environment's hook accessor) can return.
    var designatorsIn: [Set<Int>] = []
    /// The body being checked (a call through a local looks for what is stored in it).
    var currentBody: StmtSyntax?

    // Per-function state.
    var slotTypes: [CType] = []
    var slotNames: [String] = []
    var scopes: [[String: Int]] = []
    var labels: [String: Int] = [:]
    var labelNames: [String] = []
    var seenLabels: Set<Int> = []
    var loopDepth = 0
    var returnType: CType = .void
    var currentFunction = -1
    /// Parameters declared `T *p` for an integer T: the slot holds the pointee (`*p`), copied in
    /// from the caller's `&local` and back after the call.
    var referenceSlots: Set<Int> = []

    public init(model: DataModel) { self.model = model }

    /// Checks a whole translation unit (a spec file with its includes).
    public static func check(_ unit: TranslationUnitSyntax, model: DataModel) throws -> Program {
        var c = Checker(model: model)
        return try c.run(unit)
    }

    mutating func run(_ unit: TranslationUnitSyntax) throws -> Program {
        for f in unit.functions {
            if functionIndex[f.name] != nil {
                throw Diagnostic(f.location, "function '\(f.name)' is defined twice")
            }
            functionIndex[f.name] = syntaxes.count
            syntaxes.append(f)
            signatures.append((try f.parameters.map { try parameter($0, forProperty: false) }, try resolveReturn(f.returnType)))
        }
        for c in unit.contracts where functionIndex[c.name] == nil {
            throw Diagnostic(c.location, "contract for unknown function '\(c.name)'")
        }
        callGraph = Array(repeating: [], count: syntaxes.count + 1)
        nullCallIndex = syntaxes.count
        for f in unit.functions {
            let before = addressTaken
            addressTaken = []
            if let b = f.body { collectAddressTaken(b) }
            designatorsIn.append(addressTaken)
            addressTaken.formUnion(before)
        }
        for p in unit.properties { collectAddressTaken(p.body) }
        var functions: [Function] = []
        for (i, f) in syntaxes.enumerated() {
            currentFunction = i
            functions.append(try function(name: f.name, params: signatures[i].params, returnType: signatures[i].returnType,
                                          body: f.body!, location: f.location))
        }
        try rejectRecursion()
        var contracts: [Contract] = []
        for c in unit.contracts {
            guard contracts.allSatisfy({ $0.name != c.name }) else { throw Diagnostic(c.location, "function '\(c.name)' has two contracts") }
            contracts.append(try contract(c))
        }
        func used(_ p: PropertySyntax) throws -> [Int] {
            var out: [Int] = []
            for (name, location) in p.contracts where unit.contractsSetAside[name] == nil {
                guard let i = contracts.firstIndex(where: { $0.name == name }) else {
                    throw Diagnostic(location, "no contract for '\(name)' (declare one: contract RET \(name)(params) requires C ensures C;)")
                }
                guard p.anyLayout else { throw Diagnostic(location, "'contract' needs 'layout any' (a contract is proved for every layout)") }
                if !out.contains(i) { out.append(i) }
            }
            return out
        }
        // A clause never calls a function with a contract: at a call the clauses are run, and a
        // call in them would be replaced by a contract in turn (without end, for its own).
        let contracted = Set(contracts.map(\.function))
        for c in contracts {
            for clause in c.requires + c.ensures {
                var seen: Set<Int> = [], work = Array(callGraph[clause])
                while let j = work.popLast() {
                    if contracted.contains(j) {
                        throw Diagnostic(c.location, "a clause of the contract of '\(c.name)' calls '\(syntaxes[j].name)', a function with a contract")
                    }
                    if j < callGraph.count, seen.insert(j).inserted { work += callGraph[j] }
                }
            }
        }
        // A contract's proof may use other contracts, never (through others) itself.
        for (i, c) in unit.contracts.enumerated() { contracts[i].obligation.contracts = try used(c.obligation) }
        for (i, c) in contracts.enumerated() {
            var seen: Set<Int> = [], work = c.obligation.contracts
            while let j = work.popLast() {
                guard j != i else { throw Diagnostic(c.location, "the proof of the contract of '\(c.name)' would use that contract itself") }
                if seen.insert(j).inserted { work += contracts[j].obligation.contracts }
            }
        }
        var properties: [Property] = []
        var names: Set<String> = []
        for p in unit.properties {
            guard names.insert(p.name).inserted else { throw Diagnostic(p.location, "property '\(p.name)' is defined twice") }
            var property = try property(p)
            property.contracts = try used(p)
            property.contractsSetAside = p.contracts.compactMap { c in unit.contractsSetAside[c.name].map { "\(c.name): \($0)" } }
            properties.append(property)
        }
        if callsThroughPointers {
            // A call through a pointer that holds no function: the kernel would oops. (Added after
            // the properties: they may call through pointers too.)
            let loc = firstIndirectCall ?? .unknown
            let fail = Stmt.assert(Expr(.constant(0), .bool, loc), text: "call through a function pointer that holds no function", location: loc)
            functions.append(Function(name: "__call_through_null_pointer", parameters: [], returnType: model.unsignedLong, slotTypes: [],
                                      slotNames: [], labelNames: [], body: .block([fail, .returnValue(constant(0, model.unsignedLong, loc), loc)]),
                                      location: loc))
        }
        var program = Program(dataModel: model, functions: functions, properties: properties, configNames: configNames, configTypes: configTypes)
        program.contracts = contracts
        program.usesLayout = usesLayout
        return program
    }

    mutating func property(_ p: PropertySyntax) throws -> Property {
        currentFunction = -1
        let params = try p.parameters.map { try parameter($0, forProperty: true) }
        let fn = try function(name: p.name, params: params, returnType: .void, body: p.body, location: p.location)
        var property = Property(name: p.name, function: fn, unwind: p.unwind, layoutVMAs: p.layoutVMAs, config: p.config,
                                expected: p.expect.flatMap { ExpectedVerdict(rawValue: $0.verdict) }, location: p.location)
        property.anyLayout = p.anyLayout
        property.arithmetic = p.arithmetic
        property.expectedByVersion = p.expectByVersion.compactMapValues { ExpectedVerdict(rawValue: $0) }
        property.versionNotes = p.versionNotes
        return property
    }

    /// A contract: its function must exist with the contract's parameter and result types.
    mutating func contract(_ c: ContractSyntax) throws -> Contract {
        let f = functionIndex[c.name]!
        let requires = c.requiresFunctions.map { functionIndex[$0]! }, ensures = c.ensuresFunctions.map { functionIndex[$0]! }
        let mine = signatures[ensures[0]].params
        let theirs = signatures[f]
        guard mine.dropLast().map(\.type) == theirs.params.map(\.type), mine.last?.type == theirs.returnType else {
            let written = mine.dropLast().map { "\($0.type)" }.joined(separator: ", ")
            let actual = theirs.params.map { "\($0.type)" }.joined(separator: ", ")
            throw Diagnostic(c.location, "contract for '\(c.name)' has the signature (\(written)) -> \(mine.last.map { "\($0.type)" } ?? "?"), the function (\(actual)) -> \(theirs.returnType)")
        }
        // A struct the function is given is checked unchanged by the obligation; a value it returns
        // through `unsigned long *` or a VMA handle it is given is not something a contract covers.
        for p in signatures[f].params {
            switch p.type {
            case .pointer(.record), .pointer(.file), .bool, .int: continue
            default: throw Diagnostic(c.location, "contract for '\(c.name)': parameter '\(p.name)' has type \(p.type) (a contract's function takes integers, bools, 'struct file *' and pointers to the known structs)")
            }
        }
        return Contract(name: c.name, function: f, requires: requires, ensures: ensures, obligation: try property(c.obligation), location: c.location)
    }

    func resolve(_ t: TypeSyntax) throws -> CType {
        switch CTypeNames.resolve(t, model: model) {
        case .success(let c): return c
        case .failure(let d): throw d
        }
    }

    func resolveReturn(_ t: TypeSyntax) throws -> CType {
        let c = try resolve(t)
        if case .record = c { throw Diagnostic(t.location, "returning a struct by value is not supported") }
        return c
    }

    func parameter(_ p: ParameterSyntax, forProperty: Bool) throws -> Parameter {
        let t = try resolve(p.type)
        switch t {
        case .void: throw Diagnostic(p.location, "parameter '\(p.name)' cannot have type void")
        case .record: throw Diagnostic(p.location, "pass structs by pointer ('struct X *\(p.name)')")
        case .pointer(let pointee) where forProperty && pointee != .file:
            throw Diagnostic(p.location, "property inputs must be integers, bools or 'struct file *'")
        default: break
        }
        return Parameter(name: p.name, type: t)
    }

    /// Calls nested deeper than this are rejected: calls are inlined, and the evaluator (and the
    /// solver's terms) would otherwise grow without bound. Kernel placement paths are under 15 deep.
    static let maxCallDepth = 64

    /// Rejects recursion (calls are inlined) and call chains deeper than `maxCallDepth`. Iterative,
    /// so that no call graph can overflow the checker's own stack.
    mutating func rejectRecursion() throws {
        var state = Array(repeating: 0, count: callGraph.count)  // 0 new, 1 on stack, 2 done (and the null-call function)
        var height = Array(repeating: 1, count: callGraph.count)  // longest call chain from here
        for root in syntaxes.indices where state[root] == 0 {
            var stack: [(node: Int, callees: [Int], next: Int)] = [(root, callGraph[root].sorted(), 0)]
            state[root] = 1
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].next < stack[top].callees.count {
                    let j = stack[top].callees[stack[top].next]
                    stack[top].next += 1
                    if state[j] == 1 {
                        throw Diagnostic(syntaxes[j].location, "function '\(syntaxes[j].name)' is recursive; recursion is not supported (calls are inlined)")
                    }
                    if state[j] == 0 {
                        state[j] = 1
                        stack.append((j, callGraph[j].sorted(), 0))
                    }
                } else {
                    let i = stack.removeLast().node
                    height[i] = 1 + (callGraph[i].map { height[$0] }.max() ?? 0)
                    if height[i] > Checker.maxCallDepth {
                        throw Diagnostic(syntaxes[i].location, "function '\(syntaxes[i].name)' starts a chain of calls more than \(Checker.maxCallDepth) deep; calls are inlined, so the chain must be shorter")
                    }
                    state[i] = 2
                }
            }
        }
    }

    // MARK: - Functions and statements

    mutating func function(name: String, params: [Parameter], returnType: CType, body: StmtSyntax, location: SourceLocation) throws -> Function {
        slotTypes = []
        slotNames = []
        scopes = [[:]]
        labels = [:]
        labelNames = []
        seenLabels = []
        loopDepth = 0
        self.returnType = returnType
        referenceSlots = []
        for p in params {
            if scopes[0][p.name] != nil { throw Diagnostic(location, "parameter '\(p.name)' is declared twice") }
            if case .pointer(.integer(let bits, let signed)) = p.type {
                let slot = newSlot(p.name, .int(bits: bits, signed: signed))
                referenceSlots.insert(slot)
                scopes[0][p.name] = slot
            } else {
                scopes[0][p.name] = newSlot(p.name, p.type)
            }
        }
        let body = Checker.backwardGotosAsLoops(body)
        currentBody = body
        try collectLabels(body)
        let b = try statement(body)
        return Function(name: name, parameters: params, returnType: returnType, slotTypes: slotTypes, slotNames: slotNames,
                        labelNames: labelNames, body: b, location: location)
    }

    mutating func newSlot(_ name: String, _ type: CType) -> Int {
        slotTypes.append(type)
        slotNames.append(name)
        return slotTypes.count - 1
    }

    mutating func collectLabels(_ s: StmtSyntax, inLoop: Bool = false) throws {
        switch s.kind {
        case .label(let n):
            if inLoop { throw Diagnostic(s.location, "labels inside loops are not supported") }
            if labels[n] != nil { throw Diagnostic(s.location, "label '\(n)' is defined twice") }
            labels[n] = labelNames.count
            labelNames.append(n)
        case .block(let b): for x in b { try collectLabels(x, inLoop: inLoop) }
        case .ifElse(_, let a, let b): try collectLabels(a, inLoop: inLoop); if let b { try collectLabels(b, inLoop: inLoop) }
        case .whileLoop(_, let b), .doWhile(let b, _): try collectLabels(b, inLoop: true)
        case .forLoop(_, _, _, let b): try collectLabels(b, inLoop: true)
        default: break
        }
    }

    func lookup(_ name: String) -> Int? {
        for s in scopes.reversed() { if let i = s[name] { return i } }
        return nil
    }

    mutating func statement(_ s: StmtSyntax) throws -> Stmt {
        switch s.kind {
        case .empty:
            return .block([])
        case .block(let items):
            scopes.append([:])
            defer { scopes.removeLast() }
            return .block(try items.map { try statement($0) })
        case .declaration(let base, let decls):
            var out: [Stmt] = []
            for d in decls {
                var t = base
                t.pointers += d.pointers
                var type = try resolve(t)
                if let n = d.functionParameters { type = .pointer(.function(parameters: n)) }
                if case .pointer(.integer) = type { throw Diagnostic(d.location, "pointers to integers are only supported as parameters (out-parameters, passed as &variable)") }
                if case .void = type { throw Diagnostic(d.location, "variable '\(d.name)' cannot have type void") }
                if scopes[scopes.count - 1][d.name] != nil { throw Diagnostic(d.location, "redefinition of '\(d.name)'") }
                // The initializer is checked before the name is in scope (C would see it; nothing here needs it).
                var initial: Expr?
                var fieldInits: [Stmt] = []
                let slot = slotTypes.count
                switch d.initializer {
                case nil: break
                case .expr(let e)?:
                    let v = try expr(e)
                    if case .record = type, case .record = v.type {} else if case .record = type {
                        throw Diagnostic(e.location, "initialize a struct with '{ ... }'")
                    }
                    initial = try convert(v, to: type, at: e.location)
                case .braces(let items, let loc)?:
                    guard case .record(let tag) = type else {
                        throw Diagnostic(loc, "brace initializers are only supported for structs")
                    }
                    let fields = CTypeNames.structFields[tag] ?? []
                    var position = 0
                    for item in items {
                        let index: Int
                        if let f = item.field {
                            guard let i = fields.firstIndex(of: f) else {
                                throw Diagnostic(item.location, "struct \(tag) has no field '\(f)'")
                            }
                            index = i
                        } else {
                            guard position < fields.count else { throw Diagnostic(item.location, "too many initializers for struct \(tag)") }
                            index = position
                        }
                        position = index + 1
                        guard case .expr(let fe) = item.value else {
                            throw Diagnostic(item.location, "nested brace initializers are not supported")
                        }
                        let v = try convert(try expr(fe), to: model.unsignedLong, at: fe.location)
                        fieldInits.append(.expr(Expr(.assign(.field(.local(slot), index), v), model.unsignedLong, fe.location)))
                    }
                }
                let allocated = newSlot(d.name, type)
                precondition(allocated == slot)
                scopes[scopes.count - 1][d.name] = slot
                out.append(.declare(slot, initial))
                out.append(contentsOf: fieldInits)
            }
            return out.count == 1 ? out[0] : .block(out)
        case .expression(let e):
            if case .call(let name, let args) = e.kind, let st = try assertion(name, args, e) { return st }
            return .expr(try expr(e))
        case .ifElse(let c, let a, let b):
            let cond = try condition(c)
            let then = try statement(a)
            return .ifElse(cond, then, try b.map { try statement($0) })
        case .whileLoop(let c, let body):
            let cond = try condition(c)
            loopDepth += 1
            defer { loopDepth -= 1 }
            return .loop(try loop(condition: cond, body: body, step: nil, testFirst: true, location: s.location))
        case .doWhile(let body, let c):
            loopDepth += 1
            defer { loopDepth -= 1 }
            let cond = try condition(c)
            return .loop(try loop(condition: cond, body: body, step: nil, testFirst: false, location: s.location))
        case .forLoop(let i, let c, let step, let body):
            scopes.append([:])
            defer { scopes.removeLast() }
            let initS = try i.map { try statement($0) }
            let cond = try c.map { try condition($0) }
            let st = try step.map { try expr($0) }
            loopDepth += 1
            defer { loopDepth -= 1 }
            let l = Stmt.loop(try loop(condition: cond, body: body, step: st, testFirst: true, location: s.location))
            return .block((initS.map { [$0] } ?? []) + [l])
        case .returnStmt(let e):
            if case .void = returnType {
                if let e { throw Diagnostic(e.location, "a void function or property cannot return a value") }
                return .returnValue(nil, s.location)
            }
            guard let e else { throw Diagnostic(s.location, "this function must return a value of type \(returnType)") }
            return .returnValue(try convert(try expr(e), to: returnType, at: e.location), s.location)
        case .gotoStmt(let name):
            guard let l = labels[name] else { throw Diagnostic(s.location, "use of undeclared label '\(name)'") }
            if seenLabels.contains(l) {
                throw Diagnostic(s.location, "backward 'goto \(name)' is not supported (write the loop as while/for so it can be unrolled)")
            }
            return .goto(l)
        case .label(let name):
            let l = labels[name]!
            seenLabels.insert(l)
            return .label(l)
        case .breakStmt:
            guard loopDepth > 0 else { throw Diagnostic(s.location, "'break' outside a loop") }
            return .breakLoop
        case .continueStmt:
            guard loopDepth > 0 else { throw Diagnostic(s.location, "'continue' outside a loop") }
            return .continueLoop
        }
    }

    /// `assume(c)`, `assert(c)`, and the kernel's `BUG_ON`/`VM_BUG_ON`/`WARN_ON*` as assertions.
    mutating func assertion(_ name: String, _ args: [ExprSyntax], _ e: ExprSyntax) throws -> Stmt? {
        let negated: Bool
        switch name {
        case "assume", "assert": negated = false
        case "BUG_ON", "VM_BUG_ON", "WARN_ON", "WARN_ON_ONCE", "VM_WARN_ON", "VM_WARN_ON_ONCE": negated = true
        default: return nil
        }
        guard functionIndex[name] == nil else { return nil }
        guard args.count == 1 else { throw Diagnostic(e.location, "'\(name)' takes one argument") }
        var c = try condition(args[0])
        if negated { c = Expr(.not(c), .bool, c.location) }
        if name == "assume" { return .assume(c) }
        let file = e.location.file
        var text = file.map { f in f.line(e.location.line) } ?? name
        if let comment = text.range(of: "//") { text = String(text[..<comment.lowerBound]) }
        text = text.trimmingCharacters(in: .whitespaces)
        return .assert(c, text: text, location: e.location)
    }
}

extension Checker {
    /// A checked loop. A leading `invariant(c)` in its body becomes `Loop.invariant` (the kernel's
    /// code has none; the bundled models state them for the prover's `layout any`).
    mutating func loop(condition test: Expr?, body: StmtSyntax, step: Expr?, testFirst: Bool, location: SourceLocation) throws -> Loop {
        var body = body
        var invariant: Expr?
        if case .block(let items) = body.kind, let first = items.first, case .expression(let e) = first.kind,
           case .call("invariant", let args) = e.kind, functionIndex["invariant"] == nil {
            guard args.count == 1 else { throw Diagnostic(e.location, "'invariant' takes one argument") }
            invariant = try condition(args[0])
            body = StmtSyntax(kind: .block(Array(items.dropFirst())), location: body.location)
        }
        let checked = try statement(body)
        var l = Loop(condition: test, body: checked, step: step, testFirst: testFirst, location: location)
        l.invariant = invariant
        var slots = Set<Int>()
        Loop.assignedSlots(checked, into: &slots)
        if let step { Loop.assignedSlots(step, into: &slots) }
        l.assigned = slots.sorted()
        return l
    }
}

extension Loop {
    /// The locals a statement may store to (assignments, `x++`, `&x` arguments, layout results).
    public static func assignedSlots(_ s: Stmt, into out: inout Set<Int>) {
        switch s {
        case .expr(let e), .assume(let e), .assert(let e, _, _): assignedSlots(e, into: &out)
        case .declare(let slot, let e):
            out.insert(slot)
            if let e { assignedSlots(e, into: &out) }
        case .block(let items): for x in items { assignedSlots(x, into: &out) }
        case .ifElse(let c, let a, let b):
            assignedSlots(c, into: &out)
            assignedSlots(a, into: &out)
            if let b { assignedSlots(b, into: &out) }
        case .loop(let l):
            if let c = l.condition { assignedSlots(c, into: &out) }
            if let st = l.step { assignedSlots(st, into: &out) }
            assignedSlots(l.body, into: &out)
        case .returnValue(let e, _): if let e { assignedSlots(e, into: &out) }
        case .goto, .label, .breakLoop, .continueLoop: break
        }
    }

    static func assignedSlots(_ e: Expr, into out: inout Set<Int>) {
        func root(_ lv: LValue) {
            switch lv {
            case .local(let s): out.insert(s)
            case .field(let base, _): root(base)
            }
        }
        switch e.kind {
        case .constant, .config: break
        case .load: break
        case .unary(_, let x), .not(let x), .convert(let x): assignedSlots(x, into: &out)
        case .binary(_, let x, let y), .compare(_, let x, let y), .and(let x, let y), .or(let x, let y), .sequence(let x, let y):
            assignedSlots(x, into: &out)
            assignedSlots(y, into: &out)
        case .conditional(let c, let x, let y):
            assignedSlots(c, into: &out)
            assignedSlots(x, into: &out)
            assignedSlots(y, into: &out)
        case .assign(let lv, let x), .postUpdate(let lv, let x):
            root(lv)
            assignedSlots(x, into: &out)
        case .call(_, let args):
            for a in args {
                switch a {
                case .value(let x): assignedSlots(x, into: &out)
                case .reference(let lv): root(lv)
                }
            }
        case .layout(_, let args, let lv):
            for x in args { assignedSlots(x, into: &out) }
            if let lv { root(lv) }
        }
    }
}
