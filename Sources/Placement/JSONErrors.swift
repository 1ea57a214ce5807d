import Foundation
import KernelC

/// Errors of JSON readers (layouts, counterexamples, corpus entries) for people: what is wrong, in
/// one line, and on which line of the file.
public enum JSONErrors {
    public static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c):
            return c.underlyingError.map(describe) ?? c.debugDescription
        case DecodingError.keyNotFound(let key, let c):
            return "missing field \"\((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))\""
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "\"\(c.codingPath.map(\.stringValue).joined(separator: "."))\": \(c.debugDescription)"
        default:
            let ns = error as NSError
            return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
        }
    }

    /// Foundation reports the failing character offset; turn it into a line number.
    public static func lineOfError(_ error: Error, in text: String) -> Int {
        // JSONDecoder says only "not valid JSON"; JSONSerialization says where.
        if case DecodingError.dataCorrupted = error, (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) == nil {
            do { _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) } catch { return lineOfError(error, in: text) }
        }
        let d = describe(error)
        guard let r = d.range(of: "character ") else { return 0 }
        let digits = d[r.upperBound...].prefix { $0.isNumber }
        guard let offset = Int(digits) else { return 0 }
        return text.utf8.prefix(offset).filter { $0 == UInt8(ascii: "\n") }.count + 1
    }

    public static func lineText(_ n: Int, _ text: String) -> String {
        let lines = text.textLines
        return n >= 1 && n <= lines.count ? String(lines[n - 1]).trimmingCharacters(in: .whitespaces) : ""
    }
}
