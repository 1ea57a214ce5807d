import Engines
import Placement

/// A placement request as a kernel developer writes it: `file=FILE_THP, flags=MAP_SHARED|MAP_FIXED`
/// and `-ENOMEM` rather than `file=0x2, flags=0x11` and `0xfffffffffffffff4`. The names come from
/// the configuration, so scaled spaces get their own bits.
public struct RequestNames {
    let config: Config
    let mask: UInt64

    public init(config: Config) {
        self.config = config
        mask = config.dataModel.longBits >= 64 ? .max : (UInt64(1) << UInt64(config.dataModel.longBits)) - 1
    }

    /// One argument, named by what it is: a file kind, MAP_ flags, VM_ flags; else as stored.
    public func argument(_ name: String, _ shown: ShownValue) -> String {
        let value = shown.description
        guard case .word(let v) = shown else { return value }
        switch name {
        case "file", "filp":
            if v == 0 { return "NULL" }
            return names(prefix: "FILE_").first { $0.value == v }?.name ?? value
        case "flags": return mapFlags(v) ?? value
        case "vm_flags": return bits(v, prefix: "VM_", exclude: ["VM_STARTGAP_FLAGS"]) ?? value
        default: return value
        }
    }

    /// A result: `-ENOMEM` for an error value, the address otherwise.
    public func result(_ shown: ShownValue) -> String {
        let value = shown.description
        guard case .word(let v) = shown else { return value }
        let maxErrno = config.number(.maxErrno)
        guard v > mask &- maxErrno else { return value }
        let errno = (0 &- v) & mask
        let name = config.values.filter { $0.key.hasPrefix("E") && $0.key.allSatisfy { $0.isUppercase || $0.isNumber } && $0.value == errno }
            .map(\.key).sorted().first
        return "-" + (name ?? String(errno))
    }

    public func call(_ c: CallRecord) -> String {
        "\(c.function)(\(c.arguments.map { "\($0.name)=\(argument($0.name, $0.value))" }.joined(separator: ", "))) = \(c.result.map(result) ?? "void")"
    }

    func names(prefix: String) -> [(name: String, value: UInt64)] {
        config.values.filter { $0.key.hasPrefix(prefix) }.map { ($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    /// MAP_ flags: the mapping type (the low two bits) by name, then single-bit flags.
    func mapFlags(_ v: UInt64) -> String? {
        var parts: [String] = []
        let type = v & 3
        if type != 0 {
            guard let t = names(prefix: "MAP_").first(where: { $0.value == type }) else { return nil }
            parts.append(t.name)
        }
        let rest = v & ~3
        if rest == 0 { return parts.isEmpty ? "0" : parts.joined(separator: "|") }
        guard let more = bits(rest, prefix: "MAP_", exclude: ["MAP_SHARED_VALIDATE", "MAP_SHARED", "MAP_PRIVATE"]) else { return nil }
        return (parts + [more]).joined(separator: "|")
    }

    /// Single-bit names whose union is `v` (bits without a name stay as hex).
    func bits(_ v: UInt64, prefix: String, exclude: Set<String>) -> String? {
        if v == 0 { return "0" }
        var left = v
        var parts: [String] = []
        for (name, value) in names(prefix: prefix) where !exclude.contains(name) && value != 0 && value & (value - 1) == 0 {
            if left & value != 0 { parts.append(name); left &= ~value }
        }
        if left != 0 { parts.append("0x" + String(left, radix: 16)) }
        return parts.sorted { (config.value($0) ?? .max) < (config.value($1) ?? .max) }.joined(separator: "|")
    }
}
