import Foundation

/// JUnit XML (what CI test tabs read): a test suite per spec file, a test case per property;
/// a failed property is a `<failure>` with the text report, an undecided one an `<error>`.
public enum JUnitReport {
    public static func document(_ records: [CheckRecord], name: String) -> String {
        var byFile: [(file: String, records: [CheckRecord])] = []
        for r in records {
            if let i = byFile.firstIndex(where: { $0.file == r.file }) { byFile[i].records.append(r) } else { byFile.append((r.file, [r])) }
        }
        let count = { (rs: [CheckRecord], s: CheckRecord.Status) in rs.filter { $0.status == s }.count }
        let time = { (rs: [CheckRecord]) in String(format: "%.3f", rs.reduce(0) { $0 + $1.seconds }) }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"\(escape(name))\" tests=\"\(records.count)\" failures=\"\(count(records, .failed))\" errors=\"\(count(records, .error))\" time=\"\(time(records))\">\n"
        for (file, rs) in byFile {
            out += "  <testsuite name=\"\(escape(file))\" tests=\"\(rs.count)\" failures=\"\(count(rs, .failed))\" errors=\"\(count(rs, .error))\" skipped=\"0\" time=\"\(time(rs))\">\n"
            for r in rs {
                out += "    <testcase classname=\"\(escape(file))\" name=\"\(escape(r.property))\" time=\"\(String(format: "%.3f", r.seconds))\""
                switch r.status {
                case .passed:
                    out += ">\n      <system-out>\(escape(r.summary + " [" + r.bounds + "]"))</system-out>\n    </testcase>\n"
                case .failed, .error:
                    let tag = r.status == .failed ? "failure" : "error"
                    let body = r.summary + " [" + r.bounds + "]" + (r.details.isEmpty ? "" : "\n" + r.details)
                    out += ">\n      <\(tag) message=\"\(escape(r.summary))\" type=\"\(r.engine.rawValue)\">\(escape(body))</\(tag)>\n    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    /// XML text and attribute escaping; characters XML 1.0 forbids are dropped.
    static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || (0xFFFE...0xFFFF).contains(u.value) { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
