import Foundation
import KernelC
import Placement
import Semantics
import Testing

@Suite struct AddressSpaceTests {
    /// Random page-aligned layouts in a small space, so gaps of every size and edge occur.
    static func randomLayout(_ rng: inout SplitMix64, count: Int, page: UInt64 = 0x1000, pages: UInt64 = 64) -> Layout {
        var starts = Set<UInt64>()
        while starts.count < count * 2 { starts.insert(rng.next() % pages) }
        let cuts = starts.sorted()
        var vmas: [VMA] = []
        for i in stride(from: 0, to: cuts.count, by: 2) {
            let flags: UInt64 = rng.next() % 4 == 0 ? 0x100 : (rng.next() % 5 == 0 ? 1 << 37 : 0)
            vmas.append(VMA(start: cuts[i] * page, end: cuts[i + 1] * page, flags: flags))
        }
        return Layout(vmas: vmas)
    }

    /// A question's address: mostly in range, sometimes at the extremes, including wrap-around limits.
    static func pick(_ r: inout SplitMix64, page: UInt64) -> UInt64 {
        switch r.next() % 6 {
        case 0: return 0
        case 1: return .max
        case 2: return r.next()
        default: return (r.next() % 66) * page
        }
    }

    /// The O(log n) index answers exactly as the domain-generic reference scan does.
    @Test func indexMatchesReferenceSemantics() {
        var rng = SplitMix64(seed: 42)
        let page: UInt64 = 0x1000
        for round in 0..<300 {
            let layout = Self.randomLayout(&rng, count: Int(rng.next() % 6))
            let indexed = IndexedAddressSpace(layout)
            let reference = SlotAddressSpace(domain: ConcreteDomain(), bits: 64, slots: layout.vmas.map {
                VMASlot(present: true, start: $0.start, end: $0.end, flags: $0.flags, pgoff: $0.pgoff)
            })
            for _ in 0..<60 {
                let pick = { (r: inout SplitMix64) in Self.pick(&r, page: page) }
                let low = pick(&rng), high = pick(&rng)
                let size = rng.next() % 3 == 0 ? pick(&rng) : (rng.next() % 8) * page + (rng.next() % 2)
                let a = indexed.areaLowest(low: low, high: high, size: size)
                let b = reference.areaLowest(low: low, high: high, size: size)
                #expect(a.ok == b.ok && a.start == b.start, "round \(round) lowest(\(low), \(high), \(size)) on \(layout.vmas.map { ($0.start, $0.end) })")
                let c = indexed.areaHighest(low: low, high: high, size: size)
                let d = reference.areaHighest(low: low, high: high, size: size)
                #expect(c.ok == d.ok && c.end == d.end, "round \(round) highest(\(low), \(high), \(size)) on \(layout.vmas.map { ($0.start, $0.end) })")
                let addr = pick(&rng)
                #expect(indexed.findVMA(addr) == reference.findVMA(addr))
                #expect(indexed.vmaBefore(addr) == reference.vmaBefore(addr))
                let v = rng.next() % UInt64(layout.vmas.count + 2)
                for f in VMAField.allCases { #expect(indexed.field(v, f) == reference.field(v, f)) }
            }
        }
    }

    @Test func lowestAndHighestOnAKnownLayout() {
        let l = Layout(vmas: [VMA(start: 0x10000, end: 0x20000), VMA(start: 0x30000, end: 0x31000), VMA(start: 0x40000, end: 0x50000)])
        let i = VMAIndex(l)
        #expect(i.lowest(min: 0x10000, max: 0x5ffff, size: 0x1000) == 0x20000)
        #expect(i.lowest(min: 0x10000, max: 0x5ffff, size: 0x10000) == 0x20000)   // exactly fills [0x20000, 0x30000)
        #expect(i.lowest(min: 0x10000, max: 0x6ffff, size: 0x10001) == 0x50000)   // only above the last VMA
        #expect(i.lowest(min: 0x10000, max: 0x5ffff, size: 0x10001) == nil)       // clipped at max
        #expect(i.highestLast(min: 0, max: 0x3ffff, size: 0x1000) == 0x3ffff)
        #expect(i.highestLast(min: 0, max: 0x3ffff, size: 0xf000) == 0x3ffff)
        #expect(i.highestLast(min: 0, max: 0x3ffff, size: 0xf001) == 0x2ffff)
        #expect(i.highestLast(min: 0, max: 0x3ffff, size: 0x10001) == nil)
        #expect(i.findVMA(0x20000) == 1)
        #expect(i.vmaBefore(0x30000) == 0)
    }

    @Test func readsThisMachinesRealMapsFiles() throws {
        var read = 0
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        for pid in ["self"] + pids.prefix(40) {
            guard let text = readWholeFile("/proc/\(pid)/maps"), !text.isEmpty else { continue }
            let layout = try MapsReader.layout(text: text, file: "/proc/\(pid)/maps", config: .x86_64)
            #expect(!layout.vmas.isEmpty)
            #expect(layout.problem(pageSize: 4096) == nil)
            read += 1
        }
        #expect(read >= 1)
        let own = try MapsReader.layout(path: "/proc/self/maps", config: .x86_64)
        let stack = own.vmas.first { $0.name == "[stack]" }
        #expect(stack != nil && stack!.flags & 0x100 != 0, "[stack] is GROWSDOWN")
        #expect(!own.vmas.contains { $0.name == "[vsyscall]" })
    }

    @Test(arguments: [
        ("7f00-7e00 r-xp 00000000 00:00 0", "empty or inverted"),
        ("zz-7e00 r-xp 00000000 00:00 0", "bad address range"),
        ("1000-2000 rwzp 00000000 00:00 0", "bad permissions"),
        ("1000-2000 r-xp 0000g000 00:00 0", "bad offset"),
        ("1000-2000 r-xp 00000000 0000 0", "bad device"),
        ("1000-2000 r-xp 00000000 00:00 x1", "bad inode"),
        ("1000-2000 r-xp", "expected 'start-end"),
        ("1000-2000 r-xp 00000000 0:0:0 0", "bad device"),
        ("10000000000000000-20000000000000000 r-xp 0 00:00 0", "bad address range"),
    ])
    func malformedMapsLinesAreRejectedWithTheLine(line: String, message: String) {
        let text = "400000-401000 r-xp 00000000 fd:01 42 /bin/x\n" + line + "\n"
        do {
            _ = try MapsReader.layout(text: text, file: "m", config: .x86_64)
            Issue.record("accepted \(line)")
        } catch let e as InputError {
            #expect(e.line == 2)
            #expect(e.message.contains(message), "\(e)")
            #expect(e.description.hasPrefix("m:2: error: "))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Every line of this machine's maps is read field for field as the kernel wrote it (checked
    /// against a plain split of the line: the parser works on bytes, for `live`'s hot path).
    @Test func realMapsLinesAreReadFieldForField() throws {
        var lines = 0
        for pid in ["self", "1"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter({ Int($0) != nil }).prefix(20) {
            guard let text = readWholeFile("/proc/\(pid)/maps") else { continue }
            for line in text.split(separator: "\n") {
                let e = try MapsReader.entry(String(line), file: "m", number: 1)
                let f = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
                let range = f[0].split(separator: "-")
                #expect(e.start == UInt64(range[0], radix: 16) && e.end == UInt64(range[1], radix: 16), "\(line)")
                #expect([e.read ? "r" : "-", e.write ? "w" : "-", e.exec ? "x" : "-", e.shared ? "s" : "p"].joined() == f[1], "\(line)")
                #expect(e.offset == UInt64(f[2], radix: 16) && e.device == f[3] && e.inode == UInt64(f[4]), "\(line)")
                #expect(e.path == (f.count > 5 ? f[5].drop { $0 == " " } : ""), "\(line)")
                lines += 1
            }
        }
        #expect(lines > 50)
    }

    @Test func overlappingMapsAreRejected() {
        let text = "1000-3000 r-xp 00000000 00:00 0\n2000-4000 r-xp 00000000 00:00 0\n"
        #expect(throws: InputError.self) { try MapsReader.layout(text: text, config: .x86_64) }
    }

    @Test func jsonLayoutRoundTripsAndRejectsBadInput() throws {
        let layout = Layout(vmas: [VMA(start: 0x1000, end: 0x3000, flags: 0x100 | 0x1, pgoff: 2, name: "[stack]"),
                                   VMA(start: 0x5000, end: 0x6000, flags: 1 << 37)])
        let text = LayoutJSON.encode(layout, config: .x86_64)
        let back = try LayoutJSON.layout(text: text, config: .x86_64)
        #expect(back == layout)
        do {
            _ = try LayoutJSON.layout(text: "{\n  \"vmas\": [\n    { \"start\": \"0x1000\", \"end\": 12 }\n  ]\n}\n", file: "l.json", config: .x86_64)
            Issue.record("accepted a numeric end")
        } catch let e as InputError {
            #expect(e.line == 3 && e.message.contains("vma 0"), "\(e)")
        }
        do {
            _ = try LayoutJSON.layout(text: "{\n  \"vmas\": [\n    { \"start\": \"0x1000\",, }\n  ]\n}\n", file: "l.json", config: .x86_64)
            Issue.record("accepted broken JSON")
        } catch let e as InputError {
            #expect(e.message.contains("not valid JSON"))
            #expect(e.line == 3, "\(e)")
        }
    }
}

/// Every configuration defines the values the engines read without a default.
@Suite struct ConfigKeyTests {
    @Test(arguments: Config.names)
    func requiredKeysAreDefined(name: String) throws {
        let config = try #require(Config.named(name))
        let missing = ConfigKey.required.filter { config[$0] == nil }
        #expect(missing.isEmpty, "\(name) lacks \(missing.map(\.rawValue))")
    }
}
