/// The widths of C's integer types. x86-64 and arm64 are LP64; scaled configs shrink everything so
/// that exhaustive checking can reach wrap-around.
public struct DataModel: Hashable, Sendable {
    public var charBits = 8
    public var shortBits = 16
    public var intBits = 32
    public var longBits = 64
    public var longLongBits = 64
    /// In a scaled space, the kernel's own literals that do not fit (x86's MAP_32BIT window
    /// `0x40000000`..`0x80000000` in find_start_end) and the scaled value each stands for, so that
    /// a kernel tree's functions run there too. Only literals too wide for every type are mapped.
    public var scaledLiterals: [UInt64: UInt64] = [:]

    public init(intBits: Int = 32, longBits: Int = 64, longLongBits: Int = 64) {
        self.intBits = intBits
        self.longBits = longBits
        self.longLongBits = longLongBits
        self.shortBits = min(16, intBits)
        self.charBits = min(8, intBits)
    }

    public static let lp64 = DataModel()

    public var int: CType { .int(bits: intBits, signed: true) }
    public var unsignedInt: CType { .int(bits: intBits, signed: false) }
    public var long: CType { .int(bits: longBits, signed: true) }
    public var unsignedLong: CType { .int(bits: longBits, signed: false) }
    public var longLong: CType { .int(bits: longLongBits, signed: true) }
    public var unsignedLongLong: CType { .int(bits: longLongBits, signed: false) }
}

/// What a pointer points to. Only the shapes placement code uses.
public enum Pointee: Hashable, Sendable {
    /// `struct file *`: an opaque handle, NULL or not.
    case file
    /// `struct mm_struct *`: always `current->mm`, whose state comes from the config.
    case mm
    /// `struct task_struct *` (`current`).
    case task
    /// `struct vm_area_struct *`: the index (1-based) of a VMA of the layout, 0 for NULL.
    case vma
    /// A pointer to a struct local (`&info`), passed by reference.
    case record(String)
    case void
    /// A struct hugealign does not lay out (`struct hstate *`, `struct dev_dax *`): a handle whose
    /// fields are read through the environment's accessors (`hstate__field(p)`).
    case opaque(String)
    /// `unsigned long *`: a parameter that returns a value through `&local` (copied in and back).
    case integer(bits: Int, signed: Bool)
    /// A function pointer (`unsigned long (*get_area)(...)`): 0 for NULL, else 1 + the function's
    /// index in the program. A call through it calls whichever function it holds.
    case function(parameters: Int)
}

/// A C type after resolution.
public enum CType: Hashable, Sendable, CustomStringConvertible {
    case void
    /// `bool` / `_Bool`; comparisons and logical operators also produce it (it promotes to `int`
    /// with value 0 or 1, exactly as C's `int`-typed truth values behave).
    case bool
    case int(bits: Int, signed: Bool)
    case pointer(Pointee)
    case record(String)

    public var isInteger: Bool {
        switch self {
        case .bool, .int: return true
        default: return false
        }
    }

    public var isScalar: Bool {
        switch self {
        case .bool, .int, .pointer: return true
        default: return false
        }
    }

    public var bits: Int {
        if case .int(let b, _) = self { return b }
        return 1
    }

    public var isSigned: Bool {
        if case .int(_, let s) = self { return s }
        return false
    }

    public var description: String {
        switch self {
        case .void: return "void"
        case .bool: return "bool"
        case .int(let b, let s): return "\(s ? "s" : "u")\(b)"
        case .pointer(let p):
            switch p {
            case .file: return "struct file *"
            case .mm: return "struct mm_struct *"
            case .task: return "struct task_struct *"
            case .vma: return "struct vm_area_struct *"
            case .record(let n): return "struct \(n) *"
            case .void: return "void *"
            case .opaque(let n): return "struct \(n) *"
            case .integer(let b, let s): return "\(s ? "s" : "u")\(b) *"
            case .function(let n): return "function pointer (\(n) parameters)"
            }
        case .record(let n): return "struct \(n)"
        }
    }
}

/// Kernel typedef names and the structs the subset knows.
public enum CTypeNames {
    /// typedef name → the specifier words it stands for.
    public static let typedefs: [String: [String]] = [
        "loff_t": ["long", "long"], "pgoff_t": ["unsigned", "long"], "size_t": ["unsigned", "long"],
        "ssize_t": ["long"], "vm_flags_t": ["unsigned", "long"], "vma_flags_t": ["unsigned", "long"],
        "uintptr_t": ["unsigned", "long"], "phys_addr_t": ["unsigned", "long", "long"],
        "resource_size_t": ["unsigned", "long", "long"], "dma_addr_t": ["unsigned", "long", "long"],
        "gfp_t": ["unsigned", "int"], "u8": ["unsigned", "char"], "u16": ["unsigned", "short"],
        "u32": ["unsigned", "int"], "u64": ["unsigned", "long", "long"], "s8": ["signed", "char"],
        "s16": ["short"], "s32": ["int"], "s64": ["long", "long"], "__u64": ["unsigned", "long", "long"],
        "__u32": ["unsigned", "int"], "uint64_t": ["unsigned", "long", "long"], "uint32_t": ["unsigned", "int"],
        "int64_t": ["long", "long"], "int32_t": ["int"], "umode_t": ["unsigned", "short"], "fmode_t": ["unsigned", "int"],
    ]

    /// Fields of the structs a spec can declare locals of. All fields are `unsigned long`.
    public static let structFields: [String: [String]] = [
        "vm_unmapped_area_info": ["flags", "length", "low_limit", "high_limit", "align_mask", "align_offset", "start_gap"],
        // The maple-tree iterator of a kernel tree's window search: the window it stands on.
        "vma_iterator": ["index", "last"],
        // The maple state of the same searches before 6.4 (MA_STATE).
        "ma_state": ["index", "last"],
    ]

    /// Resolves written type words to a `CType`, or nil with a reason.
    public static func resolve(_ t: TypeSyntax, model: DataModel) -> Result<CType, Diagnostic> {
        if let tag = t.structTag {
            let base: CType
            switch tag {
            case "file": base = .pointer(.file)
            case "mm_struct": base = .pointer(.mm)
            case "task_struct": base = .pointer(.task)
            case "vm_area_struct": base = .pointer(.vma)
            default:
                guard structFields[tag] != nil else {
                    // Any other struct is a handle, read through the environment's accessors.
                    if t.pointers == 1 { return .success(.pointer(.opaque(tag))) }
                    return .failure(Diagnostic(t.location, "unknown struct '\(tag)' (known: file, mm_struct, vm_area_struct, vm_unmapped_area_info; other structs only as pointers)"))
                }
                if t.pointers == 1 { return .success(.pointer(.record(tag))) }
                if t.pointers == 0 { return .success(.record(tag)) }
                return .failure(Diagnostic(t.location, "pointers to pointers are not supported"))
            }
            // file/mm/task are only used through pointers.
            guard t.pointers == 1 else {
                return .failure(Diagnostic(t.location, "'struct \(tag)' is only supported as a pointer ('struct \(tag) *')"))
            }
            return .success(base)
        }
        var words = t.words
        if words.count == 1, let expansion = typedefs[words[0]] { words = expansion }
        var unsigned = false, signed = false, longs = 0, base: String?
        for w in words {
            switch w {
            case "unsigned": if unsigned || signed { return .failure(Diagnostic(t.location, "conflicting signedness in type")) }; unsigned = true
            case "signed": if unsigned || signed { return .failure(Diagnostic(t.location, "conflicting signedness in type")) }; signed = true
            case "long": longs += 1
            case "char", "short", "int", "bool", "_Bool", "void":
                if base != nil && !(base == "int" || w == "int") { return .failure(Diagnostic(t.location, "invalid combination of type words '\(words.joined(separator: " "))'")) }
                if base == nil || base == "int" { base = w }
            default: return .failure(Diagnostic(t.location, "unknown type word '\(w)'"))
            }
        }
        if longs > 2 { return .failure(Diagnostic(t.location, "'long long long' is too long")) }
        let scalar: CType
        switch base {
        case "void":
            if unsigned || signed || longs > 0 { return .failure(Diagnostic(t.location, "invalid 'void' type")) }
            if t.pointers == 1 { return .success(.pointer(.void)) }
            scalar = .void
        case "bool", "_Bool":
            if unsigned || signed || longs > 0 { return .failure(Diagnostic(t.location, "invalid 'bool' type")) }
            scalar = .bool
        case "char":
            if longs > 0 { return .failure(Diagnostic(t.location, "invalid 'long char' type")) }
            scalar = .int(bits: model.charBits, signed: !unsigned)
        case "short":
            if longs > 0 { return .failure(Diagnostic(t.location, "invalid 'long short' type")) }
            scalar = .int(bits: model.shortBits, signed: !unsigned)
        default:
            let bits = longs == 0 ? model.intBits : (longs == 1 ? model.longBits : model.longLongBits)
            if base == nil && !unsigned && !signed && longs == 0 { return .failure(Diagnostic(t.location, "missing type")) }
            scalar = .int(bits: bits, signed: !unsigned)
        }
        if t.pointers == 1, case .int(let bits, let signed) = scalar {
            return .success(.pointer(.integer(bits: bits, signed: signed)))
        }
        if t.pointers > 0 {
            return .failure(Diagnostic(t.location, "pointers to '\(scalar)' are not supported (only integer, struct and function pointers)"))
        }
        return .success(scalar)
    }
}
