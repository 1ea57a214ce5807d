import CZ3

/// Owns one Z3 context, created with reference counting and a handler that never exits.
///
/// Term constructors do not throw: the first Z3 error is kept ("sticky") and every call that hands
/// results back to the caller (`Solver.check`, `Model.value`, exports) throws it. This keeps
/// expression building free of `try` while making sure no error is ever lost.
public final class Context: @unchecked Sendable {
    public let raw: Z3_context
    /// The first error raised since the context was created or `clearError()` was called.
    public private(set) var pendingError: SMTError?

    public init() {
        let cfg = Z3_mk_config()!
        Z3_set_param_value(cfg, "model", "true")
        raw = Z3_mk_context_rc(cfg)
        Z3_del_config(cfg)
        // A capture-free closure converts to a C function pointer. Z3 keeps the error code; we read it
        // after each call (`checked`).
        Z3_set_error_handler(raw) { _, _ in }
    }

    deinit { Z3_del_context(raw) }

    /// Reads Z3's error state after an API call; records the first error.
    @discardableResult
    func checkError() -> Bool {
        let code = Z3_get_error_code(raw)
        if code == Z3_OK { return true }
        let msg = String(cString: Z3_get_error_msg(raw, code))
        record(SMTError(code: Context.name(of: code), message: msg))
        return false
    }

    func record(_ error: SMTError) {
        if pendingError == nil { pendingError = error }
    }

    /// Throws the first recorded error, if any, and clears it.
    public func throwIfError() throws {
        if let e = pendingError {
            pendingError = nil
            throw e
        }
    }

    public func clearError() { pendingError = nil }

    /// Interrupts a running `check` from another thread (used for Ctrl-C).
    public func interrupt() { Z3_interrupt(raw) }

    static func name(of code: Z3_error_code) -> String {
        switch code {
        case Z3_OK: return "Z3_OK"
        case Z3_SORT_ERROR: return "Z3_SORT_ERROR"
        case Z3_IOB: return "Z3_IOB"
        case Z3_INVALID_ARG: return "Z3_INVALID_ARG"
        case Z3_PARSER_ERROR: return "Z3_PARSER_ERROR"
        case Z3_NO_PARSER: return "Z3_NO_PARSER"
        case Z3_INVALID_PATTERN: return "Z3_INVALID_PATTERN"
        case Z3_MEMOUT_FAIL: return "Z3_MEMOUT_FAIL"
        case Z3_FILE_ACCESS_ERROR: return "Z3_FILE_ACCESS_ERROR"
        case Z3_INTERNAL_FATAL: return "Z3_INTERNAL_FATAL"
        case Z3_INVALID_USAGE: return "Z3_INVALID_USAGE"
        case Z3_DEC_REF_ERROR: return "Z3_DEC_REF_ERROR"
        case Z3_EXCEPTION: return "Z3_EXCEPTION"
        default: return "Z3_ERROR_\(code.rawValue)"
        }
    }

    // MARK: - Constructors for the two sorts

    public var trueTerm: SBool { SBool(Term(self, Z3_mk_true(raw))) }
    public var falseTerm: SBool { SBool(Term(self, Z3_mk_false(raw))) }

    public func bool(_ v: Bool) -> SBool { v ? trueTerm : falseTerm }

    /// A fresh Boolean constant.
    public func boolConst(_ name: String) -> SBool {
        let sym = Z3_mk_string_symbol(raw, name)
        return SBool(Term(self, Z3_mk_const(raw, sym, Z3_mk_bool_sort(raw))))
    }

    /// A bit-vector numeral of `width` bits (1...64) holding the low bits of `value`.
    public func bv(_ value: UInt64, width: Int) -> SBV {
        guard (1...64).contains(width) else {
            record(SMTError(code: "hugealign", message: "bit-vector width \(width) outside 1...64"))
            return SBV(Term(self, Z3_mk_unsigned_int64(raw, 0, Z3_mk_bv_sort(raw, 8))), width: 8)
        }
        let masked = width == 64 ? value : value & ((1 << UInt64(width)) - 1)
        return SBV(Term(self, Z3_mk_unsigned_int64(raw, masked, Z3_mk_bv_sort(raw, UInt32(width)))), width: width)
    }

    /// A fresh bit-vector constant (an input of a query).
    public func bvConst(_ name: String, width: Int) -> SBV {
        let w = (1...64).contains(width) ? width : 8
        if w != width { record(SMTError(code: "hugealign", message: "bit-vector width \(width) outside 1...64")) }
        let sym = Z3_mk_string_symbol(raw, name)
        return SBV(Term(self, Z3_mk_const(raw, sym, Z3_mk_bv_sort(raw, UInt32(w)))), width: w)
    }

    /// Parses SMT-LIB2 text (declarations and assertions) into one conjunction.
    public func parseSMTLIB2(_ text: String) throws -> SBool {
        let vec = Z3_parse_smtlib2_string(raw, text, 0, nil, nil, 0, nil, nil)
        guard checkError(), let vec else {
            try throwIfError()
            throw SMTError(code: "Z3_PARSER_ERROR", message: "could not parse SMT-LIB2")
        }
        Z3_ast_vector_inc_ref(raw, vec)
        defer { Z3_ast_vector_dec_ref(raw, vec) }
        var parts: [SBool] = []
        for i in 0..<Z3_ast_vector_size(raw, vec) {
            parts.append(SBool(Term(self, Z3_ast_vector_get(raw, vec, i))))
        }
        return SBool.and(parts, in: self)
    }
}

extension Context {
    /// Replaces inputs by numerals and lets Z3's rewriter compute the value (ground evaluation).
    public func evaluate(_ t: SBV, assigning pairs: [(SBV, UInt64)], booleans: [(SBool, Bool)] = []) -> UInt64? {
        let r = substituteAndSimplify(t.term, pairs, booleans)
        var v: UInt64 = 0
        guard Z3_is_numeral_ast(raw, r.raw), Z3_get_numeral_uint64(raw, r.raw, &v) else { return nil }
        return v
    }

    public func evaluate(_ t: SBool, assigning pairs: [(SBV, UInt64)], booleans: [(SBool, Bool)] = []) -> Bool? {
        let r = substituteAndSimplify(t.term, pairs, booleans)
        switch Z3_get_bool_value(raw, r.raw) {
        case Z3_L_TRUE: return true
        case Z3_L_FALSE: return false
        default: return nil
        }
    }

    func substituteAndSimplify(_ t: Term, _ pairs: [(SBV, UInt64)], _ booleans: [(SBool, Bool)]) -> Term {
        var from: [Z3_ast?] = pairs.map { $0.0.term.raw } + booleans.map { $0.0.term.raw }
        let toTerms = pairs.map { bv($0.1, width: $0.0.width).term } + booleans.map { bool($0.1).term }
        var to: [Z3_ast?] = toTerms.map { $0.raw }
        let substituted = Term(self, Z3_substitute(raw, t.raw, UInt32(from.count), &from, &to))
        return withExtendedLifetime(toTerms) { Term(self, Z3_simplify(raw, substituted.raw)) }
    }
}
