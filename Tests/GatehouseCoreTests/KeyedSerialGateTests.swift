// Copyright (c) the Gatehouse authors
import GatehouseCore
import Synchronization
import Testing

/// Work for one key runs one at a time, in arrival order, and hands over even when it throws; other keys never wait.
@Suite struct KeyedSerialGateTests {
    struct Boom: Error {}

    /// Counts how many bodies run at once per key, and the most ever seen.
    final class Overlap: Sendable {
        private let state = Mutex((running: [Int: Int](), most: [Int: Int]()))
        func enter(_ key: Int) {
            state.withLock { s in
                s.running[key, default: 0] += 1
                s.most[key] = max(s.most[key] ?? 0, s.running[key]!)
            }
        }
        func leave(_ key: Int) { state.withLock { $0.running[key, default: 0] -= 1 } }
        func most(_ key: Int) -> Int { state.withLock { $0.most[key] ?? 0 } }
    }

    @Test func bodiesForOneKeyNeverOverlapAndAThrowingOneHandsOver() async throws {
        let gate = KeyedSerialGate<Int>()
        let overlap = Overlap()
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        return try await gate.withTurn(for: index % 2) {
                            overlap.enter(index % 2)
                            defer { overlap.leave(index % 2) }
                            await Task.yield()
                            if index % 5 == 0 { throw Boom() }
                            return true
                        }
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 40 && results.filter { !$0 }.count == 8)
        #expect(overlap.most(0) == 1 && overlap.most(1) == 1)
        #expect(await gate.activeKeys == 0)
    }

    @Test func anotherKeyRunsWhileOneKeyIsHeld() async throws {
        let gate = KeyedSerialGate<String>()
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let (entered, signalEntered) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await gate.withTurn(for: "a") {
                signalEntered.yield()
                for await _ in held { break }
            }
        }
        for await _ in entered { break }
        // "a" is held until released; "b" still gets its turn at once.
        #expect(try await gate.withTurn(for: "b") { "b ran" } == "b ran")
        release.yield()
        try await holder.value
        #expect(await gate.activeKeys == 0)
    }
}
