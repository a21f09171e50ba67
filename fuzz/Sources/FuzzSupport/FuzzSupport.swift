// Copyright (c) the Gatehouse authors
import CLibFuzzer

/// A broken invariant: prints what broke and traps, so libFuzzer records the input as a crash.
public func invariant(
    _ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line
) rethrows {
    if try !condition() {
        print("INVARIANT BROKEN (\(file):\(line)): \(message())")
        fatalError("invariant broken: \(message())", file: file, line: line)
    }
}

/// Splits a fuzz input into parts at `0x00` bytes (at most `count` parts; the last keeps any further separators),
/// so one input can drive several fields of a request.
public func parts(_ bytes: [UInt8], count: Int) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var rest = bytes[...]
    while result.count < count - 1, let nul = rest.firstIndex(of: 0) {
        result.append(Array(rest[..<nul]))
        rest = rest[(nul + 1)...]
    }
    result.append(Array(rest))
    while result.count < count { result.append([]) }
    return result
}

/// Lossy text: what a transport that hands over Swift `String`s would make of the bytes.
public func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }


/// Runs libFuzzer with `body` as the fuzz target: each target's `<Module>_main` (the program's `main`, see
/// ``CLibFuzzer``) calls this with its arguments.
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, body)
}

/// The bytes libFuzzer passes (`nil` with no bytes).
public func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}
