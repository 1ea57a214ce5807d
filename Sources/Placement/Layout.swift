/// One VMA of a concrete layout: `[start, end)` with its flags.
public struct VMA: Sendable, Codable, Equatable {
    public var start: UInt64
    public var end: UInt64
    public var flags: UInt64
    public var pgoff: UInt64
    /// What /proc/PID/maps shows in the last column (a path, `[stack]`, …), for people.
    public var name: String

    public init(start: UInt64, end: UInt64, flags: UInt64 = 0, pgoff: UInt64 = 0, name: String = "") {
        self.start = start
        self.end = end
        self.flags = flags
        self.pgoff = pgoff
        self.name = name
    }
}

/// A concrete address space: VMAs sorted by address, disjoint, each non-empty.
public struct Layout: Sendable, Codable, Equatable {
    public var vmas: [VMA]

    public init(vmas: [VMA]) { self.vmas = vmas.sorted { $0.start < $1.start } }
    /// VMAs already sorted by start (not checked).
    public init(sorted vmas: [VMA]) { self.vmas = vmas }

    public static let empty = Layout(vmas: [])

    /// Why this is not a valid layout, or nil.
    public func problem(pageSize: UInt64) -> String? { firstProblem(pageSize: pageSize)?.message }

    /// The first VMA that no kernel could have (its index and why): empty or inverted, not
    /// page-aligned, overlapping the one before, or ending above `limit` (TASK_SIZE_MAX).
    public func firstProblem(pageSize: UInt64, limit: UInt64 = .max) -> (index: Int, message: String)? {
        for (i, v) in vmas.enumerated() {
            if v.start >= v.end { return (i, "VMA [\(hex(v.start)), \(hex(v.end))) is empty or inverted") }
            if v.start % pageSize != 0 || v.end % pageSize != 0 { return (i, "VMA [\(hex(v.start)), \(hex(v.end))) is not page-aligned") }
            if i > 0 && vmas[i - 1].end > v.start { return (i, "VMA [\(hex(v.start)), \(hex(v.end))) overlaps the one before it") }
            if v.end > limit {
                return (i, "VMA [\(hex(v.start)), \(hex(v.end))) ends above the configuration's TASK_SIZE_MAX \(hex(limit)) (a layout of another paging mode or architecture?)")
            }
        }
        return nil
    }
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
