import Foundation
import KernelC

/// The JSON layout format (docs/layout-json.md):
///
///     { "version": 1,
///       "vmas": [ { "start": "0x7f0000000000", "end": "0x7f0000200000",
///                   "flags": ["read", "write", "growsdown"], "pgoff": "0x0", "name": "[stack]" } ] }
///
/// Addresses are hex strings (64-bit values do not survive JSON numbers in many tools).
public enum LayoutJSON {
    public static let flagNames = ["read": "VM_READ", "write": "VM_WRITE", "exec": "VM_EXEC", "shared": "VM_SHARED",
                                   "growsdown": "VM_GROWSDOWN", "growsup": "VM_GROWSUP", "shadow_stack": "VM_SHADOW_STACK",
                                   "hugetlb": "VM_HUGETLB", "pfnmap": "VM_PFNMAP"]

    public static func layout(text: String, file: String = "layout.json", config: Config) throws -> Layout {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw InputError(file: file, line: JSONErrors.lineOfError(error, in: text), message: "not valid JSON (\(JSONErrors.describe(error)))", text: "")
        }
        guard let root = object as? [String: Any], let vmas = root["vmas"] as? [Any] else {
            throw InputError(file: file, line: 1, message: "expected an object with a \"vmas\" array", text: "")
        }
        if let v = root["version"] as? Int, v != 1 {
            throw InputError(file: file, line: 1, message: "unsupported layout version \(v) (this hugealign reads version 1)", text: "")
        }
        var out: [VMA] = []
        for (i, item) in vmas.enumerated() {
            let where_ = lineOfVMA(i, in: text)
            func fail(_ m: String) -> InputError { InputError(file: file, line: where_, message: "vma \(i): \(m)", text: JSONErrors.lineText(where_, text)) }
            guard let o = item as? [String: Any] else { throw fail("expected an object") }
            guard let start = hex(o["start"]) else { throw fail("\"start\" must be a hex string such as \"0x1000\"") }
            guard let end = hex(o["end"]) else { throw fail("\"end\" must be a hex string such as \"0x2000\"") }
            var flags: UInt64 = 0
            for f in (o["flags"] as? [Any]) ?? [] {
                guard let name = f as? String, let constant = flagNames[name] else {
                    throw fail("unknown flag \(f) (known: \(flagNames.keys.sorted().joined(separator: ", ")))")
                }
                flags |= config.value(constant) ?? 0
            }
            let pgoff = o["pgoff"] == nil ? 0 : hex(o["pgoff"])
            guard let pgoff else { throw fail("\"pgoff\" must be a hex string") }
            out.append(VMA(start: start, end: end, flags: flags, pgoff: pgoff, name: (o["name"] as? String) ?? ""))
        }
        // Sorted on reading (the format allows any order); errors name the VMA's own line.
        let order = out.indices.sorted { out[$0].start < out[$1].start }
        let layout = Layout(vmas: order.map { out[$0] })
        if let (i, problem) = layout.firstProblem(pageSize: config.number(.pageSize), limit: LayoutFile.limit(config)) {
            let line = lineOfVMA(order[i], in: text)
            throw InputError(file: file, line: line, message: "vma \(order[i]): \(problem)", text: JSONErrors.lineText(line, text))
        }
        return layout
    }

    public static func encode(_ layout: Layout, config: Config) -> String {
        var lines = ["{", "  \"version\": 1,", "  \"vmas\": ["]
        for (i, v) in layout.vmas.enumerated() {
            let names = flagNames.sorted { $0.key < $1.key }.filter { (_, c) in
                let bit = config.value(c) ?? 0
                return bit != 0 && v.flags & bit == bit
            }.map { "\"\($0.key)\"" }
            let name = v.name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            lines.append("    { \"start\": \"0x\(String(v.start, radix: 16))\", \"end\": \"0x\(String(v.end, radix: 16))\", \"flags\": [\(names.joined(separator: ", "))], \"pgoff\": \"0x\(String(v.pgoff, radix: 16))\", \"name\": \"\(name)\" }" + (i + 1 < layout.vmas.count ? "," : ""))
        }
        lines += ["  ]", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    static func hex(_ v: Any?) -> UInt64? {
        guard let s = v as? String, s.hasPrefix("0x") || s.hasPrefix("0X") else { return nil }
        return UInt64(s.dropFirst(2), radix: 16)
    }

    /// The line where the i-th VMA object starts (the i-th `{` after `"vmas"`), for messages.
    static func lineOfVMA(_ index: Int, in text: String) -> Int {
        guard let vmas = text.range(of: "\"vmas\"") else { return 0 }
        var seen = -1, line = text.lineNumber(at: vmas.lowerBound)
        var depth = 0
        for ch in text[vmas.upperBound...] {
            if ch == "\n" || ch == "\r\n" { line += 1 }
            if ch == "{" {
                if depth == 0 { seen += 1; if seen == index { return line } }
                depth += 1
            } else if ch == "}" { depth -= 1 }
        }
        return 0
    }

}
