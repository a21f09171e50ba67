// Copyright (c) the Gatehouse authors
@testable import Storage
import Testing

/// The pool's rules, checked on the state machine alone (no database, no threads).
@Suite struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String, String>

    @Test func opensOneConnectionPerWaiterUpToTheLimit() {
        var machine = Machine(maxConnections: 2)
        #expect(machine.leaseIdle() == nil)
        #expect(machine.enqueue(id: 1, waiter: "a").open == 1)
        #expect(machine.enqueue(id: 2, waiter: "b").open == 1)
        #expect(machine.enqueue(id: 3, waiter: "c").open == 0)
        #expect(machine.openingCount == 2)
        #expect(machine.waiterCount == 3)
    }

    @Test func connectionsGoToWaitersInArrivalOrder() {
        var machine = Machine(maxConnections: 1)
        _ = machine.enqueue(id: 1, waiter: "first")
        _ = machine.enqueue(id: 2, waiter: "second")
        _ = machine.enqueue(id: 3, waiter: "third")
        let opened = machine.opened("conn")
        #expect(opened.lease.map(\.waiter) == ["first"])
        let released = machine.release("conn", reusable: true)
        #expect(released.lease.map(\.waiter) == ["second"])
        #expect(machine.release("conn", reusable: true).lease.map(\.waiter) == ["third"])
        #expect(machine.release("conn", reusable: true).lease.isEmpty)
        #expect(machine.idle == ["conn"])
        #expect(machine.leaseIdle() == "conn")
    }

    @Test func timeoutFailsOnlyAWaiterStillWaiting() throws {
        var machine = Machine(maxConnections: 1)
        _ = machine.enqueue(id: 1, waiter: "served")
        _ = machine.enqueue(id: 2, waiter: "late")
        _ = machine.opened("conn")
        #expect(machine.timeout(id: 1).fail.isEmpty)
        let timedOut = machine.timeout(id: 2)
        #expect(timedOut.fail.map(\.waiter) == ["late"])
        let error = try #require(timedOut.fail.first?.error as? StorageError)
        #expect(error.code == .poolTimeout)
        #expect(machine.waiterCount == 0)
    }

    @Test func brokenConnectionIsClosedAndReplacedForTheNextWaiter() {
        var machine = Machine(maxConnections: 1)
        _ = machine.enqueue(id: 1, waiter: "a")
        _ = machine.opened("dead")
        _ = machine.enqueue(id: 2, waiter: "b")
        let released = machine.release("dead", reusable: false)
        #expect(released.close == ["dead"])
        #expect(released.open == 1)
        #expect(released.lease.isEmpty)
        #expect(machine.opened("fresh").lease.map(\.waiter) == ["b"])
    }

    @Test func failedOpenFailsTheOldestUncoveredWaiter() {
        var machine = Machine(maxConnections: 1)
        _ = machine.enqueue(id: 1, waiter: "a")
        _ = machine.enqueue(id: 2, waiter: "b")
        let failed = machine.openFailed(StorageError(code: .connectionFailed))
        #expect(failed.fail.map(\.waiter) == ["a"])
        #expect(failed.open == 1)  // b still needs a connection
        #expect(machine.waiterCount == 1)
    }

    @Test func shutdownFailsWaitersClosesIdleAndCompletesWhenLeasesReturn() {
        var machine = Machine(maxConnections: 2)
        _ = machine.enqueue(id: 1, waiter: "a")
        _ = machine.enqueue(id: 2, waiter: "b")
        _ = machine.opened("c1")
        _ = machine.opened("c2")
        _ = machine.release("c2", reusable: true)  // c2 idle, c1 leased by a
        _ = machine.enqueue(id: 3, waiter: "x")  // served by c2 at once
        _ = machine.release("c2", reusable: true)
        let shutdown = machine.shutdown()
        #expect(shutdown.close == ["c2"])
        #expect(!shutdown.shutdownComplete)
        #expect(machine.enqueue(id: 4, waiter: "late").fail.map(\.waiter) == ["late"])
        #expect(!machine.closed().shutdownComplete)  // c1 is still leased
        let returned = machine.release("c1", reusable: true)
        #expect(returned.close == ["c1"])
        #expect(!returned.shutdownComplete)
        #expect(machine.closed().shutdownComplete)
        #expect(machine.lifecycle == .shutDown)
        #expect(machine.shutdown().shutdownComplete == false)  // reported once
    }

    @Test func cancelledWaiterIsRemovedAndItsConnectionGoesIdle() throws {
        var machine = Machine(maxConnections: 1)
        _ = machine.enqueue(id: 1, waiter: "a")
        let cancelled = machine.cancel(id: 1)
        #expect(cancelled.fail.first?.error is CancellationError)
        #expect(machine.opened("conn").lease.isEmpty)
        #expect(machine.idle == ["conn"])
    }
}
