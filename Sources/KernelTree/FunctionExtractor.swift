import KernelC

/// Finds a function's definition in a kernel file, as the compiler sees it for one configuration,
/// and gives it back as a source of its own: the file's text with everything else blanked, so line
/// and column numbers stay the tree's.
public enum FunctionExtractor {
    public enum Outcome: Sendable {
        case found(SourceFile)
        /// The definition sits in (or contains) a conditional hugealign cannot decide.
        case undecided(symbol: String, line: Int)
        case absent
    }

    /// The definition of `name` in `file`, with its conditionals decided by `macros`.
    public static func definition(of name: String, in file: SourceFile, macros: Conditionals.Macros) -> Outcome {
        let decided = Conditionals(text: file.text, macros: macros)
        if let range = find(name, in: decided.text) {
            let first = lineNumber(decided.text, range.lowerBound), last = lineNumber(decided.text, range.upperBound - 1)
            for line in first...last {
                if case .undecided(let symbol, let at) = decided.lines[line - 1] { return .undecided(symbol: symbol, line: at) }
            }
            var text = decided.text
            for i in text.indices where !range.contains(i) && text[i] != UInt8(ascii: "\n") && text[i] != UInt8(ascii: "\t") {
                text[i] = UInt8(ascii: " ")
            }
            return .found(SourceFile(path: file.path, text: String(decoding: text, as: UTF8.self)))
        }
        // Not active: is it in a region hugealign could not decide?
        let permissive = Conditionals(text: file.text, macros: macros, undecidedAsActive: true)
        if let range = find(name, in: permissive.text) {
            let first = lineNumber(permissive.text, range.lowerBound), last = lineNumber(permissive.text, range.upperBound - 1)
            for line in first...last {
                if case .undecided(let symbol, let at) = permissive.lines[line - 1] { return .undecided(symbol: symbol, line: at) }
            }
        }
        return .absent
    }

    static func lineNumber(_ text: [UInt8], _ offset: Int) -> Int {
        var n = 1
        for i in 0..<min(offset, text.count) where text[i] == UInt8(ascii: "\n") { n += 1 }
        return n
    }

    /// The byte range of `name`'s definition: from just after the previous top-level `;` or `}` to
    /// its closing brace.
    static func find(_ name: String, in text: [UInt8]) -> Range<Int>? {
        let target = Array(name.utf8)
        var i = 0, braces = 0, parens = 0
        var declarationStart = 0
        func isIdent(_ c: UInt8) -> Bool { c == UInt8(ascii: "_") || (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 122) }
        func skipSpaceAndComments(_ j: inout Int) {
            while j < text.count {
                if text[j] == UInt8(ascii: " ") || text[j] == UInt8(ascii: "\t") || text[j] == UInt8(ascii: "\n") || text[j] == UInt8(ascii: "\r") { j += 1; continue }
                if text[j] == UInt8(ascii: "/") && j + 1 < text.count && text[j + 1] == UInt8(ascii: "*") {
                    j += 2
                    while j + 1 < text.count && !(text[j] == UInt8(ascii: "*") && text[j + 1] == UInt8(ascii: "/")) { j += 1 }
                    j += 2
                    continue
                }
                if text[j] == UInt8(ascii: "/") && j + 1 < text.count && text[j + 1] == UInt8(ascii: "/") {
                    while j < text.count && text[j] != UInt8(ascii: "\n") { j += 1 }
                    continue
                }
                return
            }
        }
        /// Skips a balanced group starting at an opening bracket; returns the index after its close.
        func skipBalanced(_ start: Int, open: UInt8, close: UInt8) -> Int? {
            var depth = 0, j = start
            while j < text.count {
                let c = text[j]
                if c == UInt8(ascii: "/") && j + 1 < text.count && (text[j + 1] == UInt8(ascii: "*") || text[j + 1] == UInt8(ascii: "/")) {
                    skipSpaceAndComments(&j); continue
                }
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { j = skipLiteral(j); continue }
                if c == open { depth += 1 } else if c == close { depth -= 1; if depth == 0 { return j + 1 } }
                j += 1
            }
            return nil
        }
        func skipLiteral(_ start: Int) -> Int {
            let quote = text[start]
            var j = start + 1
            while j < text.count && text[j] != quote && text[j] != UInt8(ascii: "\n") {
                if text[j] == UInt8(ascii: "\\") { j += 1 }
                j += 1
            }
            return j + 1
        }
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: "/") && i + 1 < text.count && (text[i + 1] == UInt8(ascii: "*") || text[i + 1] == UInt8(ascii: "/")) {
                skipSpaceAndComments(&i); continue
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { i = skipLiteral(i); continue }
            if c == UInt8(ascii: "{") { braces += 1; i += 1; continue }
            if c == UInt8(ascii: "}") {
                braces -= 1; i += 1
                if braces == 0 && parens == 0 { declarationStart = i }
                continue
            }
            if c == UInt8(ascii: "(") { parens += 1; i += 1; continue }
            if c == UInt8(ascii: ")") { parens -= 1; i += 1; continue }
            if c == UInt8(ascii: ";") { i += 1; if braces == 0 && parens == 0 { declarationStart = i }; continue }
            if isIdent(c) {
                var j = i
                while j < text.count && isIdent(text[j]) { j += 1 }
                let startsWord = i == 0 || !isIdent(text[i - 1])
                if braces == 0 && parens == 0 && startsWord && j - i == target.count && Array(text[i..<j]) == target {
                    var k = j
                    skipSpaceAndComments(&k)
                    if k < text.count && text[k] == UInt8(ascii: "("), let afterParams = skipBalanced(k, open: UInt8(ascii: "("), close: UInt8(ascii: ")")) {
                        var m = afterParams
                        skipSpaceAndComments(&m)
                        // Attributes after the parameters (`__acquires(x)`, `__must_hold(x)`).
                        while m < text.count && isIdent(text[m]) {
                            while m < text.count && isIdent(text[m]) { m += 1 }
                            skipSpaceAndComments(&m)
                            if m < text.count && text[m] == UInt8(ascii: "("), let e = skipBalanced(m, open: UInt8(ascii: "("), close: UInt8(ascii: ")")) { m = e }
                            skipSpaceAndComments(&m)
                        }
                        if m < text.count && text[m] == UInt8(ascii: "{"), let end = skipBalanced(m, open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) {
                            var start = declarationStart
                            skipSpaceAndComments(&start)
                            return start..<end
                        }
                    }
                }
                i = j
                continue
            }
            i += 1
        }
        return nil
    }
}
