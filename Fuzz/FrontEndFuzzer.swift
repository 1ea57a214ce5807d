// libFuzzer target for the spec front end (lexer, parser, checker): any input must end in a
// program or a Diagnostic, never a crash. Built and run by Fuzz/run-frontend-fuzzer, which compiles
// this file together with Sources/KernelC.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrontEnd(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Alternate data models by the input's first byte (scaled configs shrink every type).
    for model in [size > 0 && data[0] & 1 == 1 ? DataModel(intBits: 8, longBits: 8, longLongBits: 8) : DataModel.lp64] {
        do {
            let unit = try SpecLoader.load(text: text, path: "fuzz.spec", model: model)
            _ = unit.program.properties.count
        } catch let d as Diagnostic {
            // Every diagnostic renders (with its caret) without trapping.
            _ = d.description
        } catch {
            fatalError("the front end threw something other than a Diagnostic: \(error)")
        }
    }
    return 0
}
