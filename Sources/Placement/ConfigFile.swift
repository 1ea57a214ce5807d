import Foundation
import KernelC

/// A configuration written by a user: a `.hconfig` file that starts from a built-in configuration
/// (or another file) and changes what differs — any constant, switch or mm field, the word sizes,
/// the page-table geometry, and the `CONFIG_` options of a kernel `.config`:
///
///     # x86-64 on an AMD family 15h CPU: file mappings aligned against I-cache aliasing.
///     name amd-f15h
///     base x86_64
///     summary "x86-64, AMD family 15h: va_align on (align_va_addr=on)"
///     va_align_flags = ALIGN_VA_32 | ALIGN_VA_64
///     va_align_mask = 0xf000
///
/// Lines, in order: `name NAME` and `base NAME|"FILE"` (both required, first), `summary "TEXT"`,
/// `data-model ilp32|lp64|int N long N [longlong N]`, `geometry page N pmd N pud N`,
/// `kernel-config PATH` (y/m → 1, n and "is not set" → 0, numbers as they are), and
/// `NAME = EXPRESSION` (a C expression over the values set so far). Every value must fit its
/// type in the data model; anything else is an error at its line and column.
public enum ConfigFile {
    public static let suffix = ".hconfig"

    /// Loads a config file; `base "FILE"` is read relative to it.
    public static func load(path: String) throws -> Config {
        guard let text = readWholeFile(path) else { throw InputError(file: path, line: 0, message: "cannot read the config file", text: "") }
        return try parse(text: text, path: path)
    }

    public static func parse(text: String, path: String) throws -> Config {
        let file = SourceFile(path: path, text: text)
        let folder = (path as NSString).deletingLastPathComponent
        var config: Config?
        var name: String?
        var summary: String?
        /// The keys the file sets itself (LEGACY_MAP_MASK is derived only when it is not one).
        var setByFile: Set<String> = []

        func error(_ line: Int, _ column: Int, _ message: String) -> Diagnostic {
            Diagnostic(SourceLocation(file: file, line: line, column: column), message)
        }
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let body = String(raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            let trimmed = body.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let indent = body.prefix { $0 == " " || $0 == "\t" }.count + 1
            let words = trimmed.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let keyword = words[0]
            let rest = trimmed.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            if name == nil && keyword != "name" { throw error(line, indent, "a config file starts with 'name NAME'") }
            if name != nil && config == nil && keyword != "base" { throw error(line, indent, "the second line of a config file is 'base NAME' (a built-in config or \"file.hconfig\")") }
            switch keyword {
            case "name":
                guard name == nil else { throw error(line, indent, "a second 'name'") }
                guard words.count == 2, words[1].allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                    throw error(line, indent, "expected 'name NAME' (letters, digits, '-', '_', '.')")
                }
                guard Config.all.first(where: { $0.name == words[1] }) == nil else {
                    throw error(line, indent + 5, "'\(words[1])' is a built-in config: give this one its own name")
                }
                name = words[1]
            case "base":
                guard config == nil else { throw error(line, indent, "a second 'base'") }
                if rest.hasPrefix("\"") {
                    let relative = rest.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    let full = relative.hasPrefix("/") ? relative : (folder as NSString).appendingPathComponent(relative)
                    guard full != path else { throw error(line, indent + 5, "a config cannot be its own base") }
                    config = try load(path: full)
                } else if let c = Config.named(rest) {
                    config = c
                } else {
                    throw error(line, indent + 5, "unknown base config '\(rest)' (known: \(Config.names.joined(separator: ", ")), or \"file.hconfig\")")
                }
            case "summary":
                guard rest.count >= 2, rest.hasPrefix("\""), rest.hasSuffix("\"") else { throw error(line, indent, "expected summary \"TEXT\"") }
                summary = String(rest.dropFirst().dropLast())
            case "data-model":
                let old = config!.dataModel
                config!.dataModel = try dataModel(words, at: { error(line, indent, $0) })
                config!.values.merge(Config.widthDependentValues(config!, from: old)) { $1 }
            case "geometry":
                guard words.count == 7, words[1] == "page", words[3] == "pmd", words[5] == "pud",
                      let page = Int(words[2]), let pmd = Int(words[4]), let pud = Int(words[6]),
                      page > 0, page < pmd, pmd < pud, pud < config!.dataModel.longBits else {
                    throw error(line, indent, "expected 'geometry page N pmd N pud N' with page < pmd < pud < the bits of long")
                }
                config!.values.merge(Config.geometry(page: page, pmd: pmd, pud: pud, longBits: config!.dataModel.longBits)) { $1 }
            case "kernel-config":
                guard !rest.isEmpty else { throw error(line, indent, "expected 'kernel-config PATH'") }
                let full = rest.hasPrefix("/") ? rest : (folder as NSString).appendingPathComponent(rest)
                config!.values.merge(try kernelConfig(path: full)) { $1 }
            default:
                guard let eq = body.firstIndex(of: "=") else {
                    throw error(line, indent, "unknown line '\(keyword)' (expected NAME = VALUE, data-model, geometry, kernel-config or summary)")
                }
                let key = body[..<eq].trimmingCharacters(in: .whitespaces)
                guard Config.isSettable(key, in: config!) else {
                    throw error(line, indent, "unknown name '\(key)': not a constant hugealign knows, a CONFIG_ option, nor a value of config \(config!.name)")
                }
                let valueColumn = body.distance(from: body.startIndex, to: eq) + 2
                let valueText = String(body[body.index(after: eq)...])
                let value: UInt64
                do {
                    let expr = try Parser.expression(SourceFile(path: path, text: valueText))
                    value = try evaluate(expr, config!, key: key)
                } catch let d as Diagnostic {
                    throw error(line, valueColumn + d.location.column - 1, d.message)
                }
                config!.values[key] = value
                setByFile.insert(key)
            }
        }
        guard let name, var config else { throw InputError(file: path, line: 0, message: "a config file needs 'name NAME' and 'base NAME'", text: "") }
        config.name = name
        config.summary = summary ?? "\(config.summary) (changed by \(path))"
        if !setByFile.contains("LEGACY_MAP_MASK") { config.values = Config.withLegacyMapMask(config.values) }
        if let problem = config.validationProblem() {
            throw InputError(file: path, line: 0, message: problem, text: "")
        }
        return config
    }

    static func dataModel(_ words: [String], at error: (String) -> Diagnostic) throws -> DataModel {
        switch words.dropFirst().joined(separator: " ") {
        case "ilp32": return DataModel(intBits: 32, longBits: 32, longLongBits: 64)
        case "lp64": return .lp64
        default:
            var bits: [String: Int] = [:]
            var i = 1
            while i + 1 < words.count, let n = Int(words[i + 1]) { bits[words[i]] = n; i += 2 }
            guard i == words.count, let int = bits["int"], let long = bits["long"], Set(bits.keys).isSubset(of: ["int", "long", "longlong"]),
                  [8, 16, 32, 64].contains(int), [8, 16, 32, 64].contains(long), int <= long else {
                throw error("expected 'data-model ilp32', 'data-model lp64' or 'data-model int N long N [longlong N]' (N of 8, 16, 32, 64)")
            }
            return DataModel(intBits: int, longBits: long, longLongBits: bits["longlong"] ?? max(long, 64))
        }
    }

    /// A kernel `.config`: `CONFIG_X=y` and `=m` enable X (1), `=n` and `# CONFIG_X is not set`
    /// disable it (0), numbers are kept; strings are not switches and are skipped.
    public static func kernelConfig(path: String) throws -> [String: UInt64] {
        guard let text = readWholeFile(path) else { throw InputError(file: path, line: 0, message: "cannot read the kernel config", text: "") }
        var out: [String: UInt64] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if line.hasPrefix("# CONFIG_") && line.hasSuffix(" is not set") {
                    out[String(line.dropFirst(2).dropLast(" is not set".count))] = 0
                }
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("CONFIG_"), parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw InputError(file: path, line: index + 1, message: "not a kernel config line (CONFIG_NAME=value or '# CONFIG_NAME is not set')", text: line)
            }
            switch parts[1] {
            case "y", "m": out[parts[0]] = 1
            case "n": out[parts[0]] = 0
            default:
                if parts[1].hasPrefix("\"") { continue }
                let v = parts[1].hasPrefix("0x") ? UInt64(parts[1].dropFirst(2), radix: 16) : UInt64(parts[1])
                guard let v else { throw InputError(file: path, line: index + 1, message: "'\(parts[1])' is not y, m, n, a number or a string", text: line) }
                out[parts[0]] = v
            }
        }
        return out
    }

    /// A value: C arithmetic over the config's values so far, in unsigned long of its data model.
    static func evaluate(_ e: ExprSyntax, _ config: Config, key: String) throws -> UInt64 {
        let bits = Config.valueBits(key, config) ?? config.dataModel.longBits
        let mask: UInt64 = bits >= 64 ? .max : (1 << UInt64(bits)) - 1
        func eval(_ e: ExprSyntax) throws -> UInt64 {
            switch e.kind {
            case .integer(let v, _, _, _):
                guard v & ~mask == 0 else { throw Diagnostic(e.location, "0x\(String(v, radix: 16)) does not fit \(key) (\(bits) bits)") }
                return v
            case .identifier(let n):
                guard let v = config.value(n) else { throw Diagnostic(e.location, "'\(n)' has no value in config \(config.name)") }
                return v
            case .unary(let op, let x):
                let v = try eval(x)
                switch op {
                case "-": return (0 &- v) & mask
                case "~": return ~v & mask
                case "!": return v == 0 ? 1 : 0
                case "+": return v
                default: throw Diagnostic(e.location, "'\(op)' is not allowed in a config value")
                }
            case .binary(let op, let a, let b):
                let x = try eval(a), y = try eval(b)
                switch op {
                case "+": return (x &+ y) & mask
                case "-": return (x &- y) & mask
                case "*": return (x &* y) & mask
                case "/", "%":
                    guard y != 0 else { throw Diagnostic(e.location, "division by zero") }
                    return op == "/" ? x / y : x % y
                case "<<": return y >= UInt64(bits) ? 0 : (x << y) & mask
                case ">>": return y >= UInt64(bits) ? 0 : x >> y
                case "&": return x & y
                case "|": return x | y
                case "^": return x ^ y
                case "==": return x == y ? 1 : 0
                case "!=": return x != y ? 1 : 0
                case "<": return x < y ? 1 : 0
                case "<=": return x <= y ? 1 : 0
                case ">": return x > y ? 1 : 0
                case ">=": return x >= y ? 1 : 0
                case "&&": return x != 0 && y != 0 ? 1 : 0
                case "||": return x != 0 || y != 0 ? 1 : 0
                default: throw Diagnostic(e.location, "'\(op)' is not allowed in a config value")
                }
            case .member(let base, let field, false):
                // The mm fields: mm.mmap_base, ...
                guard case .identifier(let b) = base.kind, let v = config.value("\(b).\(field)") else {
                    throw Diagnostic(e.location, "no value '\(field)' in config \(config.name)")
                }
                return v
            case .conditional(let c, let a, let b): return try eval(c) != 0 ? eval(a) : eval(b)
            default: throw Diagnostic(e.location, "a config value is arithmetic over numbers and names")
            }
        }
        return try eval(e)
    }
}

extension Config {
    /// Whether a config file may set `key`: a name specs can use, a CONFIG_ option, or any value
    /// the config already has (mm fields, predicates such as in_compat_syscall).
    static func isSettable(_ key: String, in config: Config) -> Bool {
        if key.hasPrefix("CONFIG_") { return key.dropFirst(7).allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }
        return Catalog.constants[key] != nil || config.values[key] != nil
    }

    /// After a data model change from `old`: the values of `Config.common` and `Config.geometry`
    /// whose width is that of long (ULONG_MAX, LONG_MAX, the masks), for the new width. What a
    /// file sets after its `data-model` line overrides them.
    static func widthDependentValues(_ config: Config, from old: DataModel) -> [String: UInt64] {
        let bits = config.dataModel.longBits
        let before = common(longBits: old.longBits), after = common(longBits: bits)
        var out = after.filter { before[$0.key] != $0.value && Catalog.constants[$0.key] != .unsignedLongLong }
        if let p = config.values["PAGE_SHIFT"], let m = config.values["PMD_SHIFT"], let u = config.values["PUD_SHIFT"] {
            out.merge(geometry(page: Int(p), pmd: Int(m), pud: Int(u), longBits: bits)) { $1 }
        }
        return out
    }

    /// The width of a value's type in this config's data model (nil: unsigned long).
    static func valueBits(_ key: String, _ config: Config) -> Int? {
        if key.hasPrefix("CONFIG_") { return 64 }
        switch Catalog.constants[key] {
        case .int: return config.dataModel.intBits
        case .unsignedLongLong: return config.dataModel.longLongBits
        default: return nil
        }
    }

    /// What is wrong with a config's values, or nil: every value fits its type, and the
    /// required keys are there.
    public func validationProblem() -> String? {
        for key in ConfigKey.required where value(key.rawValue) == nil {
            return "config \(name) does not define \(key.rawValue)"
        }
        if (values["CONFIG_64BIT"] ?? 0) == 0 && dataModel.longBits == 64 {
            return "config \(name): CONFIG_64BIT is off but long is 64 bits (add 'data-model ilp32')"
        }
        for (key, v) in values.sorted(by: { $0.key < $1.key }) where !key.hasPrefix("CONFIG_") {
            let bits = Config.valueBits(key, self) ?? dataModel.longBits
            if bits < 64 && v >> UInt64(bits) != 0 {
                return "config \(name): \(key) = 0x\(String(v, radix: 16)) does not fit \(bits) bits: set it in the config file"
            }
        }
        return nil
    }

    /// Config files loaded in this run, by name: a finding names its config, and replaying it in
    /// the same run finds it here.
    final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var configs: [String: Config] = [:]
    }

    static let registry = Registry()

    public static func register(_ config: Config) {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        registry.configs[config.name] = config
    }

    static func registered(_ name: String) -> Config? {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        return registry.configs[name]
    }

    /// A config by name or file: a built-in name; a `.hconfig` path (as given, or relative to
    /// `folder`); a config file loaded earlier in this run; or `configs/NAME.hconfig` in `folder` or
    /// one of its parents, then in the working directory or one of its parents (so the configs/
    /// folder of the project is found from its specs).
    public static func resolve(_ nameOrPath: String, near folder: String? = nil) throws -> Config {
        if let c = all.first(where: { $0.name == nameOrPath }) { return c }
        let fm = FileManager.default
        func absolute(_ p: String) -> String {
            p.hasPrefix("/") ? p : (fm.currentDirectoryPath as NSString).appendingPathComponent(p)
        }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(ConfigFile.suffix) {
            var candidates = [nameOrPath]
            if let folder, !nameOrPath.hasPrefix("/") { candidates.append((folder as NSString).appendingPathComponent(nameOrPath)) }
            for c in candidates where fm.fileExists(atPath: c) {
                let config = try ConfigFile.load(path: c)
                register(config)
                return config
            }
            throw InputError(file: nameOrPath, line: 0, message: "no such config file", text: "")
        }
        if let c = registered(nameOrPath) { return c }
        var searched: [String] = []
        for start in [folder, fm.currentDirectoryPath].compactMap({ $0 }) {
            var dir = (absolute(start) as NSString).standardizingPath
            while true {
                let candidate = ((dir as NSString).appendingPathComponent("configs") as NSString).appendingPathComponent(nameOrPath + ConfigFile.suffix)
                if fm.fileExists(atPath: candidate) {
                    let config = try ConfigFile.load(path: candidate)
                    guard config.name == nameOrPath else {
                        throw InputError(file: candidate, line: 0, message: "this file names its config '\(config.name)', not '\(nameOrPath)'", text: "")
                    }
                    register(config)
                    return config
                }
                searched.append(dir)
                let parent = (dir as NSString).deletingLastPathComponent
                if parent == dir || parent.isEmpty { break }
                dir = parent
            }
        }
        throw UnknownConfig(name: nameOrPath)
    }

    /// No built-in config and no config file has this name (a malformed file is an InputError
    /// or a Diagnostic instead).
    public struct UnknownConfig: Error, CustomStringConvertible {
        public var name: String
        public var description: String {
            "unknown config '\(name)' (built-in: \(names.joined(separator: ", ")); or a config file: a path to a \(ConfigFile.suffix) file, or configs/\(name)\(ConfigFile.suffix) beside the spec or the working directory)"
        }
    }
}
