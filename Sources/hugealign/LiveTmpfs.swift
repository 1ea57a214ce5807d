import CLinux
import Foundation

/// Files on tmpfs mounts with every `huge=` option, for `live`'s tmpfs requests. The mounts are
/// made in a private mount namespace of the child (so nothing is visible outside it, and nothing
/// is left behind), each file is opened, unlinked, and its mount detached: the open file keeps it.
/// Root only; otherwise the class is not asked, with a notice.
struct LiveTmpfs {
    struct Mount {
        /// The mount option, and the value of the model's `shmem_file_huge` for it (SHMEM_HUGE_*).
        let huge: String
        let value: UInt64
        let fd: Int32
    }
    let mounts: [Mount]
    /// A file on a hugetlbfs mount (2 MiB pages), -1 when none could be made.
    var hugetlbfsFD: Int32 = -1

    static let options: [(String, UInt64)] = [("never", 0), ("always", 1), ("within_size", 2), ("advise", 3)]

    static func setUp() -> (LiveTmpfs?, String?) {
        guard getuid() == 0 else { return (nil, "tmpfs requests not made: mounting tmpfs needs root") }
        guard hugealign_unshare_mounts() == 0 else { return (nil, "tmpfs requests not made: no private mount namespace (\(String(cString: strerror(errno))))") }
        // Mounts made below must not propagate to the parent's namespace.
        guard mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil) == 0 else {
            return (nil, "tmpfs requests not made: cannot make / private (\(String(cString: strerror(errno))))")
        }
        var mounts: [Mount] = []
        for (option, value) in options {
            let (fd, error) = mountedFile(type: "tmpfs", options: "huge=\(option),size=4g")
            if let error {
                for m in mounts { Glibc.close(m.fd) }
                return (nil, "tmpfs requests not made: mount -t tmpfs -o huge=\(option) failed (\(error))")
            }
            guard fd >= 0 else { continue }
            mounts.append(Mount(huge: option, value: value, fd: fd))
        }
        guard !mounts.isEmpty else { return (nil, "tmpfs requests not made: no file could be created") }
        var made = LiveTmpfs(mounts: mounts)
        let (fd, error) = mountedFile(type: "hugetlbfs", options: "pagesize=2M")
        made.hugetlbfsFD = fd
        return (made, error.map { "hugetlbfs file requests not made: mount -t hugetlbfs failed (\($0))" })
    }

    /// A 1 GiB file on a fresh mount of `type` (in the private namespace), unlinked and its mount
    /// detached: the open file keeps both. -1 and the mount's error when it failed; -1 alone when
    /// the file could not be made.
    static func mountedFile(type: String, options: String) -> (fd: Int32, mountError: String?) {
        var template = Array((NSTemporaryDirectory() + "hugealign-\(type)-XXXXXX").utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) }) else { return (-1, nil) }
        defer { rmdir(dir) }
        guard mount("hugealign", dir, type, 0, options) == 0 else { return (-1, String(cString: strerror(errno))) }
        let path = dir + "/data"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        if fd >= 0 { _ = ftruncate(fd, 1 << 30) }
        unlink(path)
        umount2(dir, Int32(MNT_DETACH))
        return (fd, nil)
    }

    func close() {
        for m in mounts { Glibc.close(m.fd) }
        if hugetlbfsFD >= 0 { Glibc.close(hugetlbfsFD) }
    }
}
