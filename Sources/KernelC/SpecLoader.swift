import Foundation

/// Functions that stand in for some of a unit's own (a kernel tree's placement functions for the
/// bundled models): given the unit's functions, the functions to check instead.
public protocol FunctionReplacement: Sendable {
    func merged(into functions: [FunctionSyntax]) throws -> [FunctionSyntax]
    /// Said with every verdict: where the replacing functions came from.
    var sourceDescription: String { get }
    /// The kernel version they are from (`6.12.117`), for `// expect on 6.12:` comments.
    var kernelVersion: String? { get }
}

/// A spec file parsed and checked with its includes: one translation unit.
public struct SpecUnit: Sendable {
    public var path: String
    public var program: Program
}

/// Finds spec files, resolves `#include "x.spec"` (relative to the including file, each file once per
/// unit) and runs the parser and checker. An included file contributes its functions; its
/// properties are checked when that file is itself a root.
public enum SpecLoader {
    /// Every `.spec` file under the given files and folders, sorted, deduplicated. A missing path,
    /// a folder that cannot be read or holds no spec, and a file that is not a `.spec` are errors:
    /// a run over them would check nothing.
    public static func specFiles(in paths: [String]) throws -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                throw Diagnostic(.unknown, "no such file or directory: \(p)")
            }
            if isDir.boolValue {
                let all: [String]
                do { all = try fm.subpathsOfDirectory(atPath: p) } catch {
                    throw Diagnostic(.unknown, "cannot read folder \(p) (\(fm.isReadableFile(atPath: p) ? "a subfolder is unreadable" : "permission denied"))")
                }
                let found = all.filter { $0.hasSuffix(".spec") }
                guard !found.isEmpty else { throw Diagnostic(.unknown, "no .spec files in folder \(p)") }
                out.append(contentsOf: found.sorted().map { (p as NSString).appendingPathComponent($0) })
            } else {
                guard p.hasSuffix(".spec") else { throw Diagnostic(.unknown, "\(p) is not a spec file (specs end in .spec)") }
                out.append(p)
            }
        }
        var seen: Set<String> = []
        return out.filter { seen.insert(($0 as NSString).standardizingPath).inserted }
    }

    /// Parses and checks one root spec file.
    public static func load(path: String, model: DataModel = .lp64, replacement: (any FunctionReplacement)? = nil) throws -> SpecUnit {
        let file = try read(path, from: nil)
        return try load(file, model: model, replacement: replacement)
    }

    /// Parses and checks spec text given directly (tests, embedding).
    public static func load(text: String, path: String = "<input>", model: DataModel = .lp64) throws -> SpecUnit {
        try load(SourceFile(path: path, text: text), model: model)
    }

    static func load(_ file: SourceFile, model: DataModel, replacement: (any FunctionReplacement)? = nil) throws -> SpecUnit {
        var included: Set<String> = [(file.path as NSString).standardizingPath]
        var parser = try Parser(file: file)
        var unit = try parser.parseUnit()
        let (functions, contracts) = try includedDeclarations(of: unit, in: file, included: &included)
        unit.functions = functions + unit.functions
        unit.contracts = contracts + unit.contracts
        if let replacement {
            unit.functions = try replacement.merged(into: unit.functions)
            setAsideContractsThatDoNotFit(&unit, source: replacement.sourceDescription)
        }
        var program = try Checker.check(unit, model: model)
        program.functionSource = replacement?.sourceDescription
        if let version = replacement?.kernelVersion {
            for i in program.properties.indices { program.properties[i].expected = program.properties[i].expected(onVersion: version) }
        }
        return SpecUnit(path: file.path, program: program)
    }

    /// A contract states a function's parameters as one kernel has them (the bundled THP contract,
    /// 6.7's): where a kernel tree's function takes another number, the contract does not apply to
    /// it. It is left out — with the code that calls the function as the contract declares it —
    /// and the properties that name it are proved without it, saying why (a spec's own mismatch,
    /// without a tree, stays an error at the contract).
    static func setAsideContractsThatDoNotFit(_ unit: inout TranslationUnitSyntax, source: String) {
        unit.contracts.removeAll { c in
            guard let f = unit.functions.first(where: { $0.name == c.name }),
                  let ensures = unit.functions.first(where: { $0.name == c.ensuresFunctions.first }),
                  f.parameters.count != ensures.parameters.count - 1 else { return false }
            unit.contractsSetAside[c.name] = "\(source) has \(c.name) with \(f.parameters.count) parameters, the contract \(ensures.parameters.count - 1)"
            unit.functions.removeAll { $0.name == "__contract_check_\(c.name)" }
            return true
        }
    }

    /// The functions and contracts an included file (and what it includes) contributes.
    static func includedDeclarations(of unit: TranslationUnitSyntax, in file: SourceFile,
                         included: inout Set<String>) throws -> ([FunctionSyntax], [ContractSyntax]) {
        var out: [FunctionSyntax] = []
        var contracts: [ContractSyntax] = []
        for (name, loc) in unit.includes {
            let dir = (file.path as NSString).deletingLastPathComponent
            let target = name.hasPrefix("/") ? name : (dir as NSString).appendingPathComponent(name)
            let key = (target as NSString).standardizingPath
            if included.contains(key) { continue }
            included.insert(key)
            let inner = try read(target, from: loc)
            var innerParser = try Parser(file: inner)
            let innerUnit = try innerParser.parseUnit()
            let (functions, innerContracts) = try includedDeclarations(of: innerUnit, in: inner, included: &included)
            out += functions + innerUnit.functions
            contracts += innerContracts + innerUnit.contracts
        }
        return (out, contracts)
    }

    static func read(_ path: String, from: SourceLocation?) throws -> SourceFile {
        let whole = SourceLocation(file: SourceFile(path: path, text: ""), line: 0, column: 0)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Diagnostic(from ?? whole, from == nil ? "cannot read spec file '\(path)'" : "included file '\(path)' not found")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Diagnostic(from ?? whole, "spec file '\(path)' is not valid UTF-8")
        }
        return SourceFile(path: path, text: text)
    }
}
