import Foundation

/// Huge pages reserved for `live`'s MAP_HUGETLB requests, and given back afterwards. Only root
/// can reserve them; without them a private MAP_HUGETLB mapping fails after placement (its
/// reservation), which says nothing about placement, so those requests are then not made.
struct LiveHugePages {
    static let path = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    static let wanted = 64
    let previous: Int

    /// Raises the 2 MiB pool to `wanted` pages; nil (with the reason) when that cannot be done.
    static func reserve() -> (LiveHugePages?, String?) {
        guard getuid() == 0 else { return (nil, "MAP_HUGETLB requests not made: reserving huge pages needs root") }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let old = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return (nil, "MAP_HUGETLB requests not made: \(path) is not readable")
        }
        if old >= wanted { return (LiveHugePages(previous: old), nil) }
        guard write(wanted), let now = Int((try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""),
              now >= wanted / 2 else {
            _ = write(old)
            return (nil, "MAP_HUGETLB requests not made: could not reserve \(wanted) huge pages of 2 MiB")
        }
        return (LiveHugePages(previous: old), nil)
    }

    /// Gives the pool its previous size back.
    func restore() { _ = LiveHugePages.write(previous) }

    static func write(_ n: Int) -> Bool {
        (try? "\(n)\n".write(toFile: path, atomically: false, encoding: .utf8)) != nil
    }
}
