// Copyright (c) the Gatehouse authors
import Dispatch
import Gateway
import GatehouseHTTP
import Hummingbird
import Metrics

/// What answers every request: the renter's plain poll from memory when it can (``RefreshStatusFastPath``: the hottest
/// route, without the router's trie and middleware frames), everything else — and every poll the fast path hands on —
/// through the router with its whole middleware stack.
///
/// A poll answered here is counted in the same per-route series as the router's `MetricsMiddleware` counts
/// (`hb.requests` and `http.server.request.duration`, route `/payment/refresh-status/{id}`, `GET`, `200`); it is
/// never in flight across a suspension, so `http.server.active_requests` does not see it.
struct GatehouseResponder: HTTPResponder {
    typealias Context = GatehouseRequestContext

    let router: RouterResponder<GatehouseRequestContext>
    let refreshStatus: RefreshStatusFastPath
    private let answered: Counter
    private let duration: Metrics.Timer

    init(router: RouterResponder<GatehouseRequestContext>, refreshStatus: RefreshStatusFastPath) {
        self.router = router
        self.refreshStatus = refreshStatus
        let dimensions = [
            ("http.route", RefreshStatusFastPath.route), ("http.request.method", "GET"), ("http.response.status_code", "200"),
        ]
        self.answered = Counter(label: "hb.requests", dimensions: dimensions)
        self.duration = Metrics.Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds)
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        if let response = refreshStatus.answer(request, context: context) {
            answered.increment()
            duration.recordNanoseconds(DispatchTime.now().uptimeNanoseconds - started)
            return response
        }
        return try await router.respond(to: request, context: context)
    }
}
