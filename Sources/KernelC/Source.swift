/// One spec file's text, kept so diagnostics can show the offending line.
public final class SourceFile: @unchecked Sendable {
    public let path: String
    public let text: String
    /// The file's lines without terminators (for diagnostics).
    public let lines: [Substring]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        self.lines = text.textLines
    }

    public func line(_ n: Int) -> String {
        n >= 1 && n <= lines.count ? String(lines[n - 1]) : ""
    }
}

/// A position in a spec file (1-based line and column, counted in UTF-8 bytes).
public struct SourceLocation: Sendable, CustomStringConvertible {
    public let file: SourceFile?
    public let line: Int
    public let column: Int

    public init(file: SourceFile?, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static let unknown = SourceLocation(file: nil, line: 0, column: 0)

    /// `file:line:col`; a whole-file location (line 0) is just the path.
    public var description: String {
        guard let file else { return "hugealign" }
        return line > 0 ? "\(file.path):\(line):\(column)" : file.path
    }
}

/// An error in a spec: where, what, and the line with a caret under the column.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    public let location: SourceLocation
    public let message: String
    public var notes: [String] = []

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String {
        var out = "\(location): error: \(message)"
        if let file = location.file, location.line > 0 {
            var text = Array(file.line(location.line).replacingOccurrences(of: "\t", with: " ").utf8)
            var column = max(0, location.column - 1)
            // A long line is shown as a window around the column, so the caret stays readable.
            if text.count > 120 {
                let start = max(0, min(column - 60, text.count - 120))
                let end = min(text.count, start + 120)
                text = (start > 0 ? Array("…".utf8) : []) + Array(text[start..<end]) + (end < text.count ? Array("…".utf8) : [])
                column = column - start + (start > 0 ? 1 : 0)
            }
            out += "\n    \(String(decoding: text, as: UTF8.self))\n    \(String(repeating: " ", count: column))^"
        }
        for n in notes { out += "\nnote: \(n)" }
        return out
    }
}

extension StringProtocol {
    /// The lines of a text file, LF or CR LF terminated. (Swift's `Character` treats "\r\n" as one
    /// character, so splitting on "\n" alone leaves CR LF files as a single line.)
    public var textLines: [SubSequence] {
        split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }

    /// The 1-based line number of a position.
    public func lineNumber(at index: Index) -> Int {
        self[..<index].reduce(1) { $1 == "\n" || $1 == "\r\n" ? $0 + 1 : $0 }
    }
}
