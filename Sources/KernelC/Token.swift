/// A lexical token of the kernel-C subset.
public struct Token: Sendable {
    public enum Kind: Sendable, Equatable {
        case identifier(String)
        /// An integer constant with its C suffix (`u`, `l`, `ll` in any case/order) and radix.
        case integer(value: UInt64, unsigned: Bool, longs: Int, decimal: Bool)
        case string(String)
        case punct(String)
        /// A preprocessor line: `#name rest`.
        case directive(name: String, argument: String)
        case eof
    }

    public let kind: Kind
    public let location: SourceLocation

    public var text: String {
        switch kind {
        case .identifier(let s): return s
        case .integer(let v, _, _, _): return String(v)
        case .string(let s): return "\"\(s)\""
        case .punct(let p): return p
        case .directive(let n, _): return "#\(n)"
        case .eof: return "end of file"
        }
    }

    public func isPunct(_ p: String) -> Bool { kind == .punct(p) }
    public func isIdent(_ s: String) -> Bool { kind == .identifier(s) }
}

/// An `// expect: VERDICT` comment: the verdict a property is expected to get.
public struct ExpectAnnotation: Sendable {
    public let verdict: String
    public let location: SourceLocation
    /// `// expect on 6.1: VERDICT`: the verdict on that kernel version's own functions
    /// (`--kernel-tree`), where it differs from the bundled models'.
    public var version: String? = nil
    /// The whole comment (`expect on 6.1: counterexample — why`), for pages that give the reason.
    public var text: String = ""
}
