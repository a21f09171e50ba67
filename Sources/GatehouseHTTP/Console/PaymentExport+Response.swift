// Copyright (c) the Gatehouse authors
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
public import Payments

extension PaymentExport {
    /// The export as a streamed `text/csv` download named `fileName`: rows are read and sent a batch at a time while the
    /// client downloads, so memory stays one batch whatever the size (the admin API's export and the owner console's).
    public func response(_ filter: Filter, fileName: String, logger: Logger) -> Response {
        let headers: HTTPFields = [
            .contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(fileName)\"", .cacheControl: "no-store",
        ]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await write(filter, logger: logger) { text in
                    try await writer.write(ByteBuffer(string: text))
                }
                try await writer.finish(nil)
            })
    }
}
