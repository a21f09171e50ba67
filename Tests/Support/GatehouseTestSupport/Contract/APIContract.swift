// Copyright (c) the Gatehouse authors
import Foundation
import Gateway
public import HTTPTypes
public import PayOS
public import Testing

/// The OpenAPI document (Gateway's `OpenAPI/openapi.json`, the one `GET /openapi.json` serves) as the test suite holds
/// responses to it: a response is matched to its operation (method and path template), its status must be documented
/// for that operation, its content type must be one the status documents, its documented required headers must be
/// there, and a JSON body must validate against the response's schema (``JSONSchemaValidator``).
///
/// The harnesses (``HTTPResult/expectEdgeInvariants(_:_:forbiddenText:sourceLocation:)``, ``TestGatehouse/send(_:_:headers:body:)``)
/// run ``expectConforms(_:_:sourceLocation:)`` on every response they see, so a change to a route that the document does
/// not follow fails the suite, naming the operation, the status and the JSON path that broke.
public struct APIContract: Sendable {
    /// One documented operation.
    public struct Operation: Sendable {
        public let method: String
        /// The path template, `/api/bookings/{id}`.
        public let template: String
        public let operationID: String
        let segments: [Substring]
        let responses: JSONObject

        /// Whether `segments` (a request path's) fit the template: literals equal, `{name}` any non-empty segment.
        func matches(_ path: [Substring]) -> Bool {
            path.count == segments.count && zip(segments, path).allSatisfy { template, actual in
                (template.hasPrefix("{") && template.hasSuffix("}") && !actual.isEmpty) || template == actual
            }
        }

        /// How many literal segments the template has: the most specific template wins.
        var specificity: Int { segments.filter { !$0.hasPrefix("{") }.count }
    }

    /// The bundled document, parsed once for the whole test process.
    public static let shared: APIContract = {
        do {
            return try APIContract(bytes: try OpenAPIDocument().bytes)
        } catch {
            fatalError("the OpenAPI document cannot be loaded from the Gateway bundle: \(error)")
        }
    }()

    public let document: JSONValue
    public let validator: JSONSchemaValidator
    public let operations: [Operation]

    public init(bytes: [UInt8]) throws {
        document = try JSONValue(parsing: bytes)
        validator = JSONSchemaValidator(document: document)
        var operations: [Operation] = []
        for (template, item) in document["paths"]?.objectValue ?? JSONObject() {
            for (method, operation) in item.objectValue ?? JSONObject() {
                operations.append(
                    Operation(
                        method: method.uppercased(), template: template, operationID: operation["operationId"]?.stringValue ?? "?",
                        segments: template.split(separator: "/"), responses: operation["responses"]?.objectValue ?? JSONObject()))
            }
        }
        self.operations = operations
    }

    /// The operation a request goes to: same method, and the most specific template its path (without the query) fits.
    public func operation(_ method: HTTPRequest.Method, _ path: String) -> Operation? {
        let bare = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let segments = bare.split(separator: "/")
        return operations.filter { $0.method == method.rawValue && $0.matches(segments) }.max { $0.specificity < $1.specificity }
    }

    /// What breaks the document in this answer to `method path`; empty when it conforms, or when no operation is
    /// documented for the request (unrouted paths and methods: the route-coverage test keeps every route documented).
    public func problems(_ method: HTTPRequest.Method, _ path: String, _ result: HTTPResult) -> [String] {
        guard let operation = operation(method, path) else { return [] }
        let status = String(result.status.code)
        guard var response = operation.responses[status] else {
            return ["status \(status) is not documented (documented: \(operation.responses.keys.sorted().joined(separator: ", ")))"]
        }
        if let reference = response["$ref"]?.stringValue {
            guard let target = validator.resolve(reference) else { return ["unresolvable response \(reference)"] }
            response = target
        }
        var problems: [String] = []
        for (name, header) in response["headers"]?.objectValue ?? JSONObject() {
            let resolved = header["$ref"]?.stringValue.flatMap(validator.resolve) ?? header
            if resolved["required"]?.boolValue == true, result.headers[HTTPField.Name(name)!] == nil {
                problems.append("required header \(name) is missing")
            }
        }
        let content = response["content"]?.objectValue ?? JSONObject()
        let mediaType = result.headers[.contentType].map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces).lowercased() }
        guard let mediaType else {
            if !result.body.isEmpty || content.count > 0 { problems.append("no Content-Type (documented: \(content.keys.joined(separator: ", ")))") }
            return problems
        }
        guard let media = content[mediaType] else {
            problems.append("Content-Type \(mediaType) is not documented (documented: \(content.keys.joined(separator: ", ")))")
            return problems
        }
        guard mediaType == "application/json", let schema = media["schema"] else { return problems }
        guard let body = result.json else { return problems + ["the body is not JSON: \(result.body.prefix(80))"] }
        return problems + validator.validate(body, against: schema).map(\.description)
    }

    /// Records a test failure for each problem, naming the operation, the request and the status.
    public func expectConforms(_ method: HTTPRequest.Method, _ path: String, _ result: HTTPResult, sourceLocation: SourceLocation = #_sourceLocation) {
        let problems = problems(method, path, result)
        guard !problems.isEmpty, let operation = operation(method, path) else { return }
        for problem in problems {
            Issue.record(
                "API contract: \(operation.operationID) (\(operation.method) \(operation.template)) answered \(result.status.code): \(problem)",
                sourceLocation: sourceLocation)
        }
    }
}
