import KernelC

/// Loop invariants for the retry loops of a tree's window searches. The kernel states none; the
/// prover needs one to reason about any number of retries (`layout any`), as the bundled models
/// state theirs. Each is an obligation like any other — it must hold on entry and after every
/// pass — so a wrong one costs a proof, never makes one: it is checked, not trusted.
enum LoopInvariants {
    /// Function → the invariant of the loop its first label starts (`retry:`).
    static let byFunction: [String: String] = [
        // Each retry moves low_limit up, past a VMA's end (and from 6.10 it starts at mmap_min_addr
        // or above: see `olderForms`).
        "unmapped_area": "low_limit >= info->low_limit && low_limit >= mmap_min_addr && (low_limit == info->low_limit || !offset_in_page(low_limit))",
        // Each retry moves high_limit down; it reaches 0 only when a stack's guard gap is clamped at
        // 0, which needs a VMA within stack_guard_gap of address 0.
        "unmapped_area_topdown": "high_limit <= info->high_limit && (high_limit == info->high_limit || !offset_in_page(high_limit)) && (high_limit != 0 || info->high_limit == 0 || vma_within_guard_gap_of_zero())",
    ]

    /// Before 6.10 unmapped_area() did not raise low_limit to mmap_min_addr: its invariant when the
    /// function's text never mentions mmap_min_addr.
    static let olderForms: [String: String] = [
        "unmapped_area": "low_limit >= info->low_limit && (low_limit == info->low_limit || !offset_in_page(low_limit))",
    ]

    /// Puts `invariant(...)` right after the function's first top-level label, where the checker
    /// turns the label and its backward gotos into a loop.
    static func attach(to function: inout FunctionSyntax) throws {
        let source = function.location.file?.text ?? ""
        let older = olderForms[function.name].flatMap { source.contains("mmap_min_addr") ? nil : $0 }
        guard let text = older ?? byFunction[function.name], let body = function.body, case .block(var items) = body.kind,
              let label = items.firstIndex(where: { if case .label = $0.kind { return true } else { return false } }) else { return }
        var parser = try Parser(file: SourceFile(path: "<hugealign loop invariant of \(function.name)>", text: text))
        let e = try parser.parseExpression()
        let loc = items[label].location
        let call = ExprSyntax(kind: .call("invariant", [e]), location: loc)
        items.insert(StmtSyntax(kind: .expression(call), location: loc), at: label + 1)
        function.body = StmtSyntax(kind: .block(items), location: body.location)
    }
}
