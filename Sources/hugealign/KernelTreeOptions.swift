import ArgumentParser
import Engines
import Foundation
import KernelC
import KernelTree
import Placement

/// `--kernel-tree PATH` of prove, fuzz, check and live: the placement functions come from the
/// user's kernel tree instead of the bundled models (read once per configuration).
struct KernelTreeOptions: ParsableArguments {
    @Option(name: .customLong("kernel-tree"), help: "Read the placement functions from this kernel source tree or linux-source-*.tar.xz instead of the bundled models (see 'hugealign tree').")
    var kernelTree: String?

    /// The replacement for each configuration, or nil without a tree. A tree that cannot be read
    /// is an input error here, before any work starts.
    func replacements() throws -> SpecPlan.Replacements? {
        guard let kernelTree else { return nil }
        let tree = try KernelTree(path: kernelTree)
        let cache = TreeCache(tree: tree)
        return { config in try cache.functions(for: config) }
    }
}

/// Each configuration's tree functions, read and checked once per run.
final class TreeCache: @unchecked Sendable {
    let tree: KernelTree
    private var byConfig: [String: TreeFunctions] = [:]
    private let lock = NSLock()

    init(tree: KernelTree) { self.tree = tree }

    func functions(for config: Config) throws -> TreeFunctions {
        lock.lock()
        defer { lock.unlock() }
        if let f = byConfig[config.name] { return f }
        let f = try TreeFunctions(tree: tree, config: config)
        byConfig[config.name] = f
        return f
    }
}
