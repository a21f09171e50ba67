// Copyright (c) the Gatehouse authors
public import Hummingbird
import HTTPTypes
import Logging
import Payments

/// The edge: every error thrown by a route becomes a `{error, code}` JSON response (or, for pages,
/// the HTML error page given by `renderPage`), and every response carries `X-Request-ID`.
///
/// Unknown errors are logged with their full detail (`String(reflecting:)`) and the request id, and
/// answered as a generic 500: nothing internal reaches the client.
public struct ErrorMiddleware: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    /// Renders an HTML error page for requests that want one; `nil` means JSON.
    let renderPage: @Sendable (Request, APIError) -> Response?

    public init(renderPage: @escaping @Sendable (Request, APIError) -> Response? = { _, _ in nil }) {
        self.renderPage = renderPage
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let mapped = APIError.from(error)
            // A full long-poll cap is an expected overload answer, counted in its own metric: logged like a refusal, so
            // a flood of polls does not become a flood of error lines.
            if mapped.status.code >= 500, !(error is LongPollLimitError) {
                context.logger.error(
                    "request failed",
                    // The route template, never the path: paths carry webhook keys and payment ids.
                    metadata: [
                        "error.type": "\(type(of: error))", "error.detail": "\(String(reflecting: error))",
                        "http.route": "\(context.endpointPath ?? "unmatched")",
                    ])
            } else {
                context.logger.debug("request refused", metadata: ["error.code": "\(mapped.code)", "http.status": "\(mapped.status.code)"])
            }
            response = renderPage(request, mapped) ?? mapped.response()
        }
        response.headers[Self.requestIDField] = context.requestID
        return response
    }

    /// Made once: a field name is validated when it is made.
    public static let requestIDField = HTTPField.Name("X-Request-ID")!
}
