import Foundation

/// Turns a spec file into tokens. Never traps: anything it cannot read is a `Diagnostic`.
public struct Lexer {
    let file: SourceFile
    let bytes: [UInt8]
    var pos = 0
    var line = 1
    var lineStart = 0
    public private(set) var expectations: [ExpectAnnotation] = []

    public init(file: SourceFile) {
        self.file = file
        self.bytes = Array(file.text.utf8)
    }

    static let puncts3: Set<String> = ["<<=", ">>=", "..."]
    static let puncts2: Set<String> = ["->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
                                       "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^="]
    static let puncts1: Set<UInt8> = Set("{}()[];,.:?~!+-*/%&|^<>=".utf8)

    var location: SourceLocation { SourceLocation(file: file, line: line, column: pos - lineStart + 1) }

    func peek(_ k: Int = 0) -> UInt8 { pos + k < bytes.count ? bytes[pos + k] : 0 }

    mutating func advance() {
        if peek() == UInt8(ascii: "\n") {
            line += 1
            lineStart = pos + 1
        }
        pos += 1
    }

    public mutating func tokenize() throws -> [Token] {
        var out: [Token] = []
        var atLineStart = true
        while true {
            // Whitespace and comments.
            while pos < bytes.count {
                let c = peek()
                if c == UInt8(ascii: "\n") { atLineStart = true; advance() }
                else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") || c == 12 { advance() }
                else if c == UInt8(ascii: "\\") && peek(1) == UInt8(ascii: "\n") { advance(); advance() }
                else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/") {
                    let start = location
                    let from = pos + 2
                    while pos < bytes.count && peek() != UInt8(ascii: "\n") { advance() }
                    noteComment(String(decoding: bytes[from..<pos], as: UTF8.self), at: start)
                } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                    let start = location
                    advance(); advance()
                    while pos < bytes.count && !(peek() == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/")) { advance() }
                    if pos >= bytes.count { throw Diagnostic(start, "unterminated /* comment") }
                    advance(); advance()
                } else { break }
            }
            let loc = location
            guard pos < bytes.count else {
                out.append(Token(kind: .eof, location: loc))
                return out
            }
            let c = peek()
            if c == UInt8(ascii: "#") {
                guard atLineStart else { throw Diagnostic(loc, "'#' is only allowed at the start of a line") }
                out.append(try directive(loc))
                continue
            }
            atLineStart = false
            if isIdentStart(c) {
                let from = pos
                while pos < bytes.count && isIdentChar(peek()) { advance() }
                out.append(Token(kind: .identifier(String(decoding: bytes[from..<pos], as: UTF8.self)), location: loc))
            } else if isDigit(c) {
                out.append(try number(loc))
            } else if c == UInt8(ascii: "\"") {
                advance()
                let from = pos
                while pos < bytes.count && peek() != UInt8(ascii: "\"") && peek() != UInt8(ascii: "\n") { advance() }
                guard peek() == UInt8(ascii: "\"") else { throw Diagnostic(loc, "unterminated string literal") }
                let s = String(decoding: bytes[from..<pos], as: UTF8.self)
                advance()
                out.append(Token(kind: .string(s), location: loc))
            } else if c == UInt8(ascii: "'") {
                out.append(try character(loc))
            } else {
                let three = pos + 3 <= bytes.count ? String(decoding: bytes[pos..<pos + 3], as: UTF8.self) : ""
                let two = pos + 2 <= bytes.count ? String(decoding: bytes[pos..<pos + 2], as: UTF8.self) : ""
                if Lexer.puncts3.contains(three) {
                    for _ in 0..<3 { advance() }
                    out.append(Token(kind: .punct(three), location: loc))
                } else if Lexer.puncts2.contains(two) {
                    advance(); advance()
                    out.append(Token(kind: .punct(two), location: loc))
                } else if Lexer.puncts1.contains(c) {
                    advance()
                    out.append(Token(kind: .punct(String(UnicodeScalar(c))), location: loc))
                } else {
                    let shown = c < 0x80 && c >= 0x20 ? "'\(String(UnicodeScalar(c)))'" : String(format: "byte 0x%02x", c)
                    throw Diagnostic(loc, "unexpected character \(shown)")
                }
            }
        }
    }

    /// `// expect: proved` and friends are kept for the following property.
    mutating func noteComment(_ body: String, at loc: SourceLocation) {
        let t = body.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("expect on "), let colon = t.firstIndex(of: ":") {
            // `expect on 6.1: counterexample — why`: the verdict is the first word.
            let version = t[t.index(t.startIndex, offsetBy: "expect on ".count)..<colon].trimmingCharacters(in: .whitespaces)
            let verdict = t[t.index(after: colon)...].trimmingCharacters(in: .whitespaces).prefix { $0.isLetter }
            expectations.append(ExpectAnnotation(verdict: String(verdict), location: loc, version: version, text: t))
            return
        }
        guard t.hasPrefix("expect:") else { return }
        let verdict = t.dropFirst("expect:".count).trimmingCharacters(in: .whitespaces)
        expectations.append(ExpectAnnotation(verdict: verdict, location: loc))
    }

    mutating func directive(_ loc: SourceLocation) throws -> Token {
        advance()  // '#'
        while peek() == UInt8(ascii: " ") || peek() == UInt8(ascii: "\t") { advance() }
        let from = pos
        while pos < bytes.count && isIdentChar(peek()) { advance() }
        let name = String(decoding: bytes[from..<pos], as: UTF8.self)
        let argFrom = pos
        while pos < bytes.count && peek() != UInt8(ascii: "\n") { advance() }
        var arg = String(decoding: bytes[argFrom..<pos], as: UTF8.self)
        if let r = arg.range(of: "//") { arg = String(arg[..<r.lowerBound]) }
        return Token(kind: .directive(name: name, argument: arg.trimmingCharacters(in: .whitespaces)), location: loc)
    }

    mutating func character(_ loc: SourceLocation) throws -> Token {
        advance()
        var value: UInt64
        if peek() == UInt8(ascii: "\\") {
            advance()
            switch peek() {
            case UInt8(ascii: "n"): value = 10
            case UInt8(ascii: "t"): value = 9
            case UInt8(ascii: "0"): value = 0
            case UInt8(ascii: "\\"): value = 92
            case UInt8(ascii: "'"): value = 39
            default: throw Diagnostic(location, "unsupported escape in character constant")
            }
        } else {
            value = UInt64(peek())
        }
        advance()
        guard peek() == UInt8(ascii: "'") else { throw Diagnostic(loc, "unterminated character constant") }
        advance()
        return Token(kind: .integer(value: value, unsigned: false, longs: 0, decimal: true), location: loc)
    }

    mutating func number(_ loc: SourceLocation) throws -> Token {
        var radix: UInt64 = 10
        if peek() == UInt8(ascii: "0") && (peek(1) | 0x20) == UInt8(ascii: "x") {
            radix = 16
            advance(); advance()
        } else if peek() == UInt8(ascii: "0") && (peek(1) | 0x20) == UInt8(ascii: "b") {
            radix = 2
            advance(); advance()
        } else if peek() == UInt8(ascii: "0") && isDigit(peek(1)) {
            radix = 8
            advance()
        }
        var value: UInt64 = 0
        var digits = 0
        var overflow = false
        while pos < bytes.count, let d = digitValue(peek()), d < radix {
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(d)
            overflow = overflow || o1 || o2
            value = s
            digits += 1
            advance()
        }
        if digits == 0 && radix != 10 && radix != 8 { throw Diagnostic(loc, "integer constant has no digits") }
        var unsigned = false
        var longs = 0
        while pos < bytes.count, isIdentChar(peek()) {
            let ch = peek() | 0x20
            if ch == UInt8(ascii: "u") && !unsigned { unsigned = true }
            else if ch == UInt8(ascii: "l") && longs < 2 { longs += 1 }
            else { throw Diagnostic(location, "invalid suffix on integer constant") }
            advance()
        }
        if overflow { throw Diagnostic(loc, "integer constant is too large for 64 bits") }
        return Token(kind: .integer(value: value, unsigned: unsigned, longs: longs, decimal: radix == 10), location: loc)
    }

    func isIdentStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "_")
    }
    func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }
    func digitValue(_ c: UInt8) -> UInt64? {
        if isDigit(c) { return UInt64(c - UInt8(ascii: "0")) }
        let l = c | 0x20
        if l >= UInt8(ascii: "a") && l <= UInt8(ascii: "f") { return UInt64(l - UInt8(ascii: "a") + 10) }
        return nil
    }
}
