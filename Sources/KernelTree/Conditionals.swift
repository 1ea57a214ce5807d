import Foundation

/// The preprocessor's conditionals (`#if`, `#ifdef`, `#ifndef`, `#elif`, `#else`, `#endif`) decided
/// for one configuration, so a kernel file reads as the compiler sees it. Every other directive is
/// blanked (its macros are the environment's business). Lines keep their numbers and columns, so a
/// diagnostic in a tree function points into the tree's own file.
public struct Conditionals: Sendable {
    /// What is known to be defined: `CONFIG_` options (set when non-zero, as in the kernel's
    /// autoconf.h) and the arch's own macros; `undefined` are known not to be.
    public struct Macros: Sendable {
        public var configs: [String: UInt64]
        public var defined: Set<String>
        public var undefined: Set<String>

        public init(configs: [String: UInt64], defined: Set<String>, undefined: Set<String>) {
            self.configs = configs
            self.defined = defined
            self.undefined = undefined
        }

        /// 1, 0, or nil when hugealign cannot tell.
        func isDefined(_ name: String) -> Bool? {
            if name.hasPrefix("CONFIG_") { return (configs[name] ?? 0) != 0 }
            if defined.contains(name) { return true }
            if undefined.contains(name) { return false }
            // Include guards (`_LINUX_MM_H`) are not defined when a file is first read.
            if name.hasPrefix("_") && name.hasSuffix("_H") { return false }
            return nil
        }
    }

    /// How the conditionals left one line.
    public enum LineState: Sendable, Equatable {
        case active
        case inactive
        /// Inside a conditional hugealign could not decide: the symbol and the directive's line.
        case undecided(symbol: String, line: Int)
    }

    /// The file's text with inactive lines and all directives blanked (same length, same lines).
    public let text: [UInt8]
    /// The state of each line (index 0 is line 1).
    public let lines: [LineState]

    public init(text source: String, macros: Macros, undecidedAsActive: Bool = false) {
        var macros = macros
        var out = Array(source.utf8)
        var states: [LineState] = []
        struct Frame { var parentActive: Bool; var parentUndecided: LineState?; var taken: Bool; var undecided: LineState?; var active: Bool }
        var stack: [Frame] = []
        var lineStart = 0
        var lineNumber = 1
        var continuingDirective = false
        func currentState() -> LineState {
            guard let top = stack.last else { return .active }
            if let u = top.undecided ?? top.parentUndecided { return u }
            return top.active ? .active : .inactive
        }
        while lineStart <= out.count {
            var lineEnd = lineStart
            while lineEnd < out.count && out[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let line = out[lineStart..<lineEnd]
            let continues = line.last == UInt8(ascii: "\\")
            let trimmed = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            var state = currentState()
            if continuingDirective {
                state = .inactive
                continuingDirective = continues
            } else if trimmed.first == UInt8(ascii: "#") {
                // A directive, with its continuation lines joined.
                var full = Array(trimmed.dropFirst())
                var scan = lineEnd
                var more = continues
                while more && scan < out.count {
                    var e = scan + 1
                    while e < out.count && out[e] != UInt8(ascii: "\n") { e += 1 }
                    full = full.dropLast() + out[(scan + 1)..<e]
                    more = out[(scan + 1)..<e].last == UInt8(ascii: "\\")
                    scan = e
                }
                continuingDirective = continues
                let directive = String(decoding: full, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                let name = String(directive.prefix { $0.isLetter })
                let rest = String(directive.dropFirst(name.count)).trimmingCharacters(in: .whitespaces)
                let here = currentState()
                switch name {
                case "if", "ifdef", "ifndef":
                    let value: Bool?
                    var symbol = rest
                    if name == "if" {
                        value = ConditionExpression.evaluate(rest, macros: macros, unknown: &symbol)
                    } else {
                        symbol = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                        value = macros.isDefined(symbol).map { name == "ifdef" ? $0 : !$0 }
                    }
                    let parentActive = here == .active
                    let parentUndecided: LineState? = { if case .undecided = here { return here } else { return nil } }()
                    stack.append(Frame(parentActive: parentActive, parentUndecided: parentUndecided, taken: value == true,
                                       undecided: value == nil ? .undecided(symbol: symbol, line: lineNumber) : nil,
                                       active: parentActive && value == true))
                case "elif", "else":
                    guard var top = stack.popLast() else { break }
                    if top.undecided != nil {
                        // After an undecided branch, the alternatives are undecided too.
                        top.active = false
                    } else if top.taken {
                        top.active = false
                    } else if name == "else" {
                        top.active = top.parentActive
                        top.taken = true
                    } else {
                        var symbol = rest
                        let value = ConditionExpression.evaluate(rest, macros: macros, unknown: &symbol)
                        if let value {
                            top.taken = value
                            top.active = top.parentActive && value
                        } else {
                            top.undecided = .undecided(symbol: symbol, line: lineNumber)
                            top.active = false
                        }
                    }
                    stack.append(top)
                case "endif":
                    _ = stack.popLast()
                case "define" where here == .active:
                    let macro = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                    if !macro.isEmpty { macros.defined.insert(macro); macros.undefined.remove(macro) }
                case "undef" where here == .active:
                    let macro = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                    if !macro.isEmpty { macros.defined.remove(macro); macros.undefined.insert(macro) }
                default:
                    break
                }
                state = .inactive
            }
            var blank = state != .active
            if undecidedAsActive, case .undecided = state { blank = false }
            if blank {
                for i in lineStart..<lineEnd where out[i] != UInt8(ascii: "\t") { out[i] = UInt8(ascii: " ") }
            }
            states.append(state)
            lineStart = lineEnd + 1
            lineNumber += 1
        }
        text = out
        lines = states
    }
}

/// The expression of an `#if`: integers, `defined X`, `IS_ENABLED(CONFIG_X)`, `CONFIG_X`, `!`,
/// comparisons, `&&`, `||` and parentheses. An unknown name makes the value unknown (nil) unless
/// the other side of `&&`/`||` decides.
enum ConditionExpression {
    static func evaluate(_ text: String, macros: Conditionals.Macros, unknown: inout String) -> Bool? {
        var tokens: [String] = []
        var chars = Array(text)
        // Drop a trailing comment.
        if let c = text.range(of: "/*") { chars = Array(text[..<c.lowerBound]) }
        if let c = String(chars).range(of: "//") { chars = Array(String(chars)[..<c.lowerBound]) }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c.isLetter || c == "_" || c.isNumber {
                var j = i
                while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_") { j += 1 }
                tokens.append(String(chars[i..<j]))
                i = j
                continue
            }
            let two = i + 1 < chars.count ? String(chars[i...(i + 1)]) : ""
            if ["&&", "||", "==", "!=", "<=", ">="].contains(two) { tokens.append(two); i += 2; continue }
            tokens.append(String(c))
            i += 1
        }
        var parser = Parser(tokens: tokens, macros: macros)
        let v = parser.orExpr()
        if let u = parser.firstUnknown { unknown = u }
        guard parser.index == tokens.count, !parser.failed else { unknown = text; return nil }
        return v.map { $0 != 0 }
    }

    struct Parser {
        let tokens: [String]
        let macros: Conditionals.Macros
        var index = 0
        var failed = false
        var firstUnknown: String?

        var peek: String? { index < tokens.count ? tokens[index] : nil }
        mutating func take() -> String? { defer { index += 1 }; return peek }

        mutating func orExpr() -> Int64? {
            var v = andExpr()
            while peek == "||" {
                index += 1
                let r = andExpr()
                if v != nil && v != 0 || r != nil && r != 0 { v = 1 } else if v == nil || r == nil { v = nil } else { v = 0 }
            }
            return v
        }

        mutating func andExpr() -> Int64? {
            var v = compare()
            while peek == "&&" {
                index += 1
                let r = compare()
                if v == 0 || r == 0 { v = 0 } else if v == nil || r == nil { v = nil } else { v = 1 }
            }
            return v
        }

        mutating func compare() -> Int64? {
            let a = unary()
            guard let op = peek, ["==", "!=", "<", ">", "<=", ">="].contains(op) else { return a }
            index += 1
            let b = unary()
            guard let x = a, let y = b else { return nil }
            switch op {
            case "==": return x == y ? 1 : 0
            case "!=": return x != y ? 1 : 0
            case "<": return x < y ? 1 : 0
            case ">": return x > y ? 1 : 0
            case "<=": return x <= y ? 1 : 0
            default: return x >= y ? 1 : 0
            }
        }

        mutating func unary() -> Int64? {
            guard let t = take() else { failed = true; return nil }
            switch t {
            case "!":
                return unary().map { $0 == 0 ? 1 : 0 }
            case "(":
                let v = orExpr()
                if take() != ")" { failed = true }
                return v
            case "defined":
                let paren = peek == "("
                if paren { index += 1 }
                guard let name = take() else { failed = true; return nil }
                if paren && take() != ")" { failed = true }
                return known(name, macros.isDefined(name))
            case "IS_ENABLED", "IS_BUILTIN", "IS_REACHABLE", "IS_MODULE":
                guard take() == "(", let name = take(), take() == ")" else { failed = true; return nil }
                if t == "IS_MODULE" { return 0 }
                return known(name, macros.isDefined(name))
            default:
                if let first = t.first, first.isNumber {
                    let digits = t.prefix { $0.isNumber || $0.isLetter }.filter { !"uUlL".contains($0) }
                    return digits.hasPrefix("0x") ? Int64(digits.dropFirst(2), radix: 16) : Int64(digits)
                }
                if t.hasPrefix("CONFIG_") { return Int64(truncatingIfNeeded: macros.configs[t] ?? 0) }
                if peek == "(" { firstUnknown = firstUnknown ?? t; skipParens(); return nil }
                return known(t, macros.isDefined(t))
            }
        }

        mutating func known(_ name: String, _ v: Bool?) -> Int64? {
            guard let v else { firstUnknown = firstUnknown ?? name; return nil }
            return v ? 1 : 0
        }

        mutating func skipParens() {
            var depth = 0
            while let t = take() {
                if t == "(" { depth += 1 } else if t == ")" { depth -= 1; if depth == 0 { return } }
            }
        }
    }
}
