// Copyright (c) the Gatehouse authors
import Hummingbird
import PayOS

/// Gives each HTTP request a budget for its payOS calls (``PayOSClient/deadline``). payOS may ask for waits of up
/// to 60 s, which the client keeps for background work; a request waiting that long would outlive nginx's 30 s read
/// timeout (deploy/nginx) and the renter would get a 504 while Gatehouse still waited. Within the budget the client
/// waits; beyond it the call fails at once and the request answers with what that failure maps to.
struct PayOSDeadlineMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Below nginx's 30 s read timeout, with room for the last attempt's own answer.
    static var defaultBudget: Duration { .seconds(20) }

    let budget: Duration

    init(budget: Duration = Self.defaultBudget) {
        self.budget = budget
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await PayOSClient.$deadline.withValue(.now + budget) {
            try await next(request, context)
        }
    }
}
