import ArgumentParser
import Foundation
import struct KernelC.Diagnostic
import KernelTree
import Placement

/// `hugealign tree PATH`: which placement functions of a kernel tree the front end takes as the
/// kernel writes them, and what stops the others.
struct Tree: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the placement functions from a kernel source tree and say which run unmodified.",
        discussion: """
        PATH is a kernel source folder or a linux-source-*.tar.xz (Debian: apt-get install \
        linux-source-6.12; the tarball is under /usr/src). Each of the placement functions is looked \
        up in the tree's own files, with #if/#ifdef decided by the configuration, parsed, and checked \
        together with hugealign's kernel environment. Exit 0 (with --require-all: 10 when a \
        function is not accepted), 2 when the tree cannot be read.
        """)

    @ArgumentParser.Argument(help: "A kernel source tree or a linux-source-*.tar.xz.")
    var path: String

    @Option(help: "The configuration, built-in or a config file (decides the arch, #ifdef and IS_ENABLED).")
    var config = ConfigArgument(.x86_64)

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(name: .customLong("require-all"), help: "Exit 10 unless every placement function is accepted.")
    var requireAll = false

    func run() throws {
        let cfg = config.config
        let tree = try KernelTree(path: path)
        let functions = try TreeFunctions(tree: tree, config: cfg)
        let counted = functions.entries.filter(\.function.counted)
        let accepted = counted.filter { if case .accepted = $0.outcome { return true } else { return false } }
        if json {
            var rows: [[String: String]] = []
            for e in functions.entries {
                var row = ["function": e.function.name, "file": e.file ?? "", "placement": e.function.counted ? "yes" : "helper"]
                let (status, reason) = Tree.describe(e)
                row["status"] = status
                if let reason { row["reason"] = reason }
                rows.append(row)
            }
            let doc: [String: Any] = ["tree": path, "version": tree.version ?? "", "config": cfg.name,
                                      "accepted": accepted.count, "placementFunctions": counted.count, "functions": rows]
            let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("kernel tree \(path)\(tree.version.map { " (Linux \($0))" } ?? ""), config \(cfg.name):")
            let width = functions.entries.map(\.function.name.count).max() ?? 20
            for e in functions.entries {
                let (status, reason) = Tree.describe(e)
                let name = e.function.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let file = (e.file ?? "-").padding(toLength: 30, withPad: " ", startingAt: 0)
                print("  \(name)  \(file)  \(status)\(e.function.counted ? "" : " (helper)")\(reason.map { ": \($0)" } ?? "")")
            }
            print("\(accepted.count) of \(counted.count) placement functions run unmodified")
        }
        if requireAll && accepted.count < counted.count { throw ExitCode(10) }
    }

    static func describe(_ e: TreeFunctions.Entry) -> (String, String?) {
        switch e.outcome {
        case .accepted: return ("accepted", nil)
        case .absent: return ("absent", "not defined in \(e.function.files.joined(separator: ", "))")
        case .undecided(let symbol, let line): return ("undecided", "line \(line): #if \(symbol) is not decided by the config")
        case .rejected(let d):
            var first = d.message.split(separator: "\n").first.map(String.init) ?? d.message
            if first.hasPrefix("call to unknown function '") { first = "calls " + first.dropFirst(26).dropLast() + ", which did not make it" }
            return ("stopped", "\(d.location.line > 0 ? "line \(d.location.line): " : "")\(first)")
        }
    }
}
