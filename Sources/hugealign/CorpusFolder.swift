import Engines
import Foundation
import Placement
import Reports

/// A fuzzing corpus on disk: one JSON file per case, named by a hash of its content, so saving
/// twice writes the same files.
enum CorpusFolder {
    struct Entry: Codable { var values: [UInt64]; var layout: [VMA] }

    static func read(_ dir: String) throws -> [TestCase] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            let path = (dir as NSString).appendingPathComponent(name)
            let text = readWholeFile(path) ?? ""
            do {
                let e = try JSONDecoder().decode(Entry.self, from: Data(text.utf8))
                return TestCase(values: e.values, layout: Layout(vmas: e.layout))
            } catch {
                throw InputError(file: path, line: JSONErrors.lineOfError(error, in: text),
                                                                message: "not a corpus entry: \(JSONErrors.describe(error))", text: "")
            }
        }
    }

    static func write(_ cases: [TestCase], to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        for c in cases {
            let text = String(decoding: try enc.encode(Entry(values: c.values, layout: c.layout.vmas)), as: UTF8.self)
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            try AtomicFile.write(text + "\n", to: (dir as NSString).appendingPathComponent(String(format: "%016llx.json", h)))
        }
    }
}
