import Foundation
import Placement

/// `live --log FILE` records what the probe saw, so that the check can be made elsewhere
/// (`live --from-log FILE --config NAME`): how a user checks an arm64 board or a distribution
/// kernel without hugealign's models on it. JSON Lines: a header, then one line per compared
/// request — the layout before the call, the request, and what mmap returned (an address or
/// -errno). Written as the run goes, so a run cut short leaves a log readable up to its last line.
enum LiveLog {
    struct Header: Codable {
        var log = "hugealign-live"
        var version = 1
        var seed: UInt64
        /// The configuration the probe read on its machine (its name and every value).
        var config: String
        var values: [String: UInt64]
        var notes: [String]
    }

    struct Entry: Codable {
        var request: LiveRequest
        var layout: [VMA]
        /// What mmap returned: an address, or -errno as an unsigned word.
        var result: UInt64
    }

    final class Writer {
        let handle: FileHandle
        let encoder = JSONEncoder()

        init(path: String, machine: MachineState, seed: UInt64) throws {
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw InputError(file: path, line: 0, message: "cannot create the log", text: "")
            }
            handle = h
            encoder.outputFormatting = [.sortedKeys]
            write(try encoder.encode(Header(seed: seed, config: machine.config.name, values: machine.config.values, notes: machine.notes)))
        }

        func append(_ request: LiveRequest, layout: Layout, actual: UInt64) {
            if let data = try? encoder.encode(Entry(request: request, layout: layout.vmas, result: actual)) { write(data) }
        }

        func write(_ data: Data) { handle.write(data + Data("\n".utf8)) }
        func close() { try? handle.close() }
    }

    /// A log read back: its header and entries. A line that is not what the log says it is is an
    /// error naming the line; an empty log or one without its header too.
    static func read(path: String) throws -> (header: Header, entries: [Entry]) {
        guard let text = readWholeFile(path) else { throw InputError(file: path, line: 0, message: "cannot read the log", text: "") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let decoder = JSONDecoder()
        var header: Header?
        var entries: [Entry] = []
        for (i, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let data = Data(line.utf8)
            if header == nil {
                guard let h = try? decoder.decode(Header.self, from: data), h.log == "hugealign-live" else {
                    throw InputError(file: path, line: i + 1, message: "not a hugealign live log: the first line must be its header", text: String(line.prefix(200)))
                }
                guard h.version == 1 else { throw InputError(file: path, line: i + 1, message: "log version \(h.version) is not supported (1 is)", text: String(line.prefix(200))) }
                header = h
                continue
            }
            do {
                let e = try decoder.decode(Entry.self, from: data)
                let layout = Layout(vmas: e.layout)
                if let problem = layout.problem(pageSize: 1) { throw InputError(file: path, line: i + 1, message: "bad layout: \(problem)", text: String(line.prefix(200))) }
                entries.append(e)
            } catch let error as InputError {
                throw error
            } catch {
                let last = i == lines.count - 1 || (i == lines.count - 2 && lines.last?.isEmpty == true)
                throw InputError(file: path, line: i + 1, message: last ? "the last line is cut short (was the run stopped while writing?)" : "not a log entry (request, layout, result)",
                                 text: String(line.prefix(200)))
            }
        }
        guard let header else { throw InputError(file: path, line: 0, message: "empty log: no header", text: "") }
        return (header, entries)
    }
}
