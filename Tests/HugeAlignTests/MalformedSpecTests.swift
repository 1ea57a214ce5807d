import Foundation
import KernelC
import Testing

/// Every file in Malformed/ must be rejected with a diagnostic at the right line, carrying a
/// column and a caret, and the CLI must exit 2 on it. `<name>.expected` holds the line and a
/// fragment of the message.
@Suite struct MalformedSpecTests {
    static let cases: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Paths.malformedDirectory)) ?? []
        return files.filter { $0.hasSuffix(".spec") }.map { String($0.dropLast(5)) }.sorted()
    }()

    @Test func thereAreAtLeastTwentyFiveCases() {
        #expect(Self.cases.count >= 25)
    }

    @Test(arguments: cases)
    func rejectedWithLocatedDiagnostic(name: String) throws {
        let path = (Paths.malformedDirectory as NSString).appendingPathComponent(name + ".spec")
        let expected = try String(contentsOfFile: (Paths.malformedDirectory as NSString).appendingPathComponent(name + ".expected"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        do {
            _ = try SpecLoader.load(path: path)
            Issue.record("\(name): accepted, but it is malformed")
        } catch let d as Diagnostic {
            #expect(d.location.line == Int(expected[0]), "\(name): \(d)")
            #expect(d.location.column >= 1)
            #expect(d.message.contains(expected[1]), "\(name): \(d.message)")
            let rendered = d.description
            #expect(rendered.hasPrefix("\(path):\(d.location.line):\(d.location.column): error: "))
            #expect(rendered.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) == "^")
        }
    }

    @Test func cliExitsTwoOnEveryMalformedFile() throws {
        for name in Self.cases {
            let r = try runCLI(["prove", "Tests/HugeAlignTests/Malformed/\(name).spec"])
            #expect(r.status == 2, "\(name): exit \(r.status)\n\(r.err)")
            #expect(r.err.contains("Malformed/\(name).spec:"), "\(name): \(r.err)")
        }
    }

    /// Random byte soup and token soup never crash the front end.
    @Test func randomInputNeverTraps() {
        var rng = SplitMix64(seed: 7)
        let pieces = ["property", "p", "(", ")", "{", "}", "int", "unsigned", "long", "x", "=", "1", ";", "if", "else",
                      "goto", "out", ":", "return", "+", "<<", "?", "struct", "vm_unmapped_area_info", ".", "->", "&",
                      "assert", "while", "for", "#include", "\"", "0x", "//", "/*", "*/", "\n", "9999999999999999999999"]
        for _ in 0..<2000 {
            let n = Int(rng.next() % 40)
            var text = ""
            for _ in 0..<n { text += pieces[Int(rng.next() % UInt64(pieces.count))] + (rng.next() % 3 == 0 ? "" : " ") }
            _ = try? SpecLoader.load(text: text)
            let bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? SpecLoader.load(text: String(decoding: bytes, as: UTF8.self))
        }
    }
}
