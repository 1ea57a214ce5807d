import Engines
import KernelC
import KernelTree
import Placement
import Semantics

/// The model's answer to one `live` request on one layout: `do_mmap_placement` of the model spec,
/// evaluated concretely, with the request's file as the model's file kind. One evaluator per
/// tmpfs `huge=` option (the model reads it as `shmem_file_huge`). Used on the machine (the
/// child) and on a recorded log (`--from-log`), so both predict the same way.
final class LivePredictor {
    let program: Program
    let function: Function
    let config: Config
    private var evaluators: [UInt64?: Evaluator<ConcreteDomain>] = [:]

    init(model: String, config: Config, kernelTree: String? = nil) throws {
        // With a kernel tree, the tree's placement functions predict (the model spec only supplies
        // do_mmap's preparation).
        let replacement = try kernelTree.map { try TreeFunctions(tree: try KernelTree(path: $0), config: config) }
        let unit = try SpecLoader.load(path: model, model: config.dataModel, replacement: replacement)
        guard let fn = unit.program.functions.first(where: { $0.name == PlacementEntry.function }) else {
            throw InputError(file: model, line: 0, message: "no function \(PlacementEntry.function): live predicts with the whole mmap path", text: "")
        }
        program = unit.program
        function = fn
        self.config = config
    }

    func evaluator(tmpfsHuge: UInt64?) throws -> Evaluator<ConcreteDomain> {
        if let e = evaluators[tmpfsHuge] { return e }
        var c = config
        if let h = tmpfsHuge { c.values["shmem_file_huge"] = h }
        let e = try Evaluator(program: program, config: c, domain: ConcreteDomain(), unwind: 64)
        evaluators[tmpfsHuge] = e
        return e
    }

    /// The address or -errno the model gives; nil when the model returns no value.
    func predict(_ req: LiveRequest, on layout: Layout) throws -> UInt64? {
        let e = try evaluator(tmpfsHuge: req.tmpfsHuge)
        e.space = IndexedAddressSpace(layout)
        let v = { (n: String) in self.config.value(n) ?? 0 }
        let file: UInt64
        switch req.kind {
        case .file: file = v("FILE_THP")
        case .memfd, .tmpfs: file = v("FILE_SHMEM")
        case .hugetlb, .hugetlbfs: file = v("FILE_HUGETLBFS")
        case .anonPrivate, .anonShared: file = 0
        }
        let args: [Value<ConcreteDomain>] = [.word(file), .word(req.hint), .word(req.doMmapLength), .word(UInt64(UInt32(bitPattern: req.flags))), .word(0), .word(req.pgoff)]
        guard case .word(let w)? = e.call(function, arguments: args).0 else { return nil }
        return w
    }
}
