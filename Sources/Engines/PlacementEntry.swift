/// The function of the bundled models that is the whole mmap path, from do_mmap()'s request
/// preparation to the window search (specs/kernel/v6.18/mmap.spec): what `live` predicts with, what
/// the model checker's sequences call, and what a C reproducer asks the real kernel.
public enum PlacementEntry {
    public static let function = "do_mmap_placement"
    /// Its parameters, in order.
    public static let parameters = ["file", "addr", "len", "flags", "vm_flags", "pgoff"]
}
