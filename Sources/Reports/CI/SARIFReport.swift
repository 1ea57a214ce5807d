import Engines
import Foundation

/// SARIF 2.1.0 (the format code-scanning services read): one result per property that failed or
/// could not be decided, at the failed assertion's location (else the spec file), with the text
/// report as its message. Properties that passed are not results, as in every SARIF producer.
public enum SARIFReport {
    public static func document(_ records: [CheckRecord], toolVersion: String) throws -> String {
        var rules: [[String: Any]] = []
        var ruleIndex: [String: Int] = [:]
        var results: [[String: Any]] = []
        for r in records where r.status != .passed {
            if ruleIndex[r.property] == nil {
                ruleIndex[r.property] = rules.count
                rules.append(["id": r.property, "shortDescription": ["text": "hugealign property \(r.property) (\(r.file))"]])
            }
            var physical: [String: Any] = ["artifactLocation": ["uri": r.failureLocation?.path ?? r.file]]
            if let loc = r.failureLocation, loc.line > 0 {
                physical["region"] = ["startLine": loc.line, "startColumn": max(1, loc.column)]
            }
            var text = "\(r.property): \(r.summary) [\(r.bounds)] (\(r.engine.rawValue))"
            if !r.details.isEmpty { text += "\n" + r.details }
            results.append([
                "ruleId": r.property,
                "ruleIndex": ruleIndex[r.property]!,
                "level": r.status == .failed ? "error" : "warning",
                "kind": "fail",
                "message": ["text": text],
                "locations": [["physicalLocation": physical]],
            ])
        }
        let log: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": ["name": "hugealign", "version": toolVersion, "informationUri": "https://example.invalid/hugealign",
                                    "rules": rules]],
                "results": results,
            ]],
        ]
        let data = try JSONSerialization.data(withJSONObject: log, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
