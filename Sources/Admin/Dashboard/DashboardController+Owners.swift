// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseCore
import GatehouseHTTP
import Hummingbird
import Tenancy

extension DashboardController {
    /// `GET /admin/dashboard/owners?q=&window=1|7|30&sort=id|rate|volume|last|status&dir=asc|desc&after=<cursor>`: one
    /// page of ``AdminOwnerList`` (50 owners), with links to re-sort, to change the window and to the next page.
    @Sendable func ownersPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false) { session, _ in
            let locale = locale(request)
            let strings = AdminStrings.table(locale)
            let sort = request.queryValue("sort").flatMap(AdminOwnerList.Sort.init(rawValue:)) ?? .id
            let descending = request.queryValue("dir") == "desc"
            let window = request.queryValue("window").flatMap { Int($0) } ?? 7
            let after = request.queryValue("after").flatMap { AdminOwnerList.Cursor($0, sort: sort) }
            let listRequest = AdminOwnerList.Request(window: window, sort: sort, descending: descending, search: Self.formQueryValue(request, "q"), after: after)
            let result = try await ownerList.page(listRequest, logger: context.logger)
            let details = try await ownerList.details(owners: result.rows.map(\.owner.id), logger: context.logger)
            var rows: [[String: Any]] = []
            for item in result.rows {
                let owner = item.owner, detail = details[owner.id] ?? AdminOwnerList.RowDetails()
                let suspended = owner.status == .suspended
                var row: [String: Any] = [
                    "id": owner.id.rawValue, "name": owner.name, "email": owner.email, "status": owner.status.rawValue,
                    "statusText": strings[owner.status.rawValue] ?? owner.status.rawValue,
                    "onboardingText": strings[owner.onboardingState.rawValue] ?? owner.onboardingState.rawValue,
                    "hint": detail.credentialsVersion.map { "…" + (detail.clientIDHint ?? "") + " (v\($0))" } ?? (strings["notStored"] ?? ""),
                    "rateLimit": detail.requestsPerSecond.map { "\($0)/s, burst \(detail.burst ?? 0)" } ?? (strings["defaultLimit"] ?? ""),
                    "toggleAction": suspended ? "reactivate" : "suspend", "toggleText": strings[suspended ? "reactivate" : "suspend"] ?? "",
                    "csrf": session.csrfToken, "rate": Self.percent(item.successRateBasisPoints), "payments": "\(item.succeeded)/\(item.created)",
                    "volume": VND.format(item.volumeVND, locale: locale), "openRefunds": detail.openRefunds,
                ]
                if let last = item.lastPaymentAt { row["lastPayment"] = PageTime.model(last, locale: locale) }
                rows.append(row)
            }
            let query = OwnersQuery(search: listRequest.search, window: listRequest.window, sort: sort, descending: descending)
            var model: [String: Any] = [
                "owners": rows, "q": listRequest.search ?? "", "sort": sort.rawValue, "dir": descending ? "desc" : "asc",
                "windows": AdminStrings.windows.map { days, key in
                    ["value": days, "text": strings[key] ?? key, "selected": days == listRequest.window] as [String: Any]
                },
                "windowText": strings[AdminStrings.windows.first { $0.0 == listRequest.window }?.1 ?? ""] ?? "",
                "columns": AdminOwnerList.Sort.allCases.map { column -> [String: Any] in
                    // A column sorts descending first (highest rate, volume, newest payment), except id and status.
                    let firstDescending = column == .rate || column == .volume || column == .last
                    let nextDescending = column == sort ? !descending : firstDescending
                    var item: [String: Any] = [
                        "key": column.rawValue, "text": strings["sort_\(column.rawValue)"] ?? column.rawValue,
                        "href": query.with(sort: column, descending: nextDescending).href(after: nil),
                    ]
                    if column == sort { item["arrow"] = descending ? "▼" : "▲" }
                    return item
                },
                "firstHref": query.href(after: nil),
            ]
            if after != nil { model["notFirst"] = true }
            if let next = result.next { model["nextHref"] = query.href(after: next) }
            if let refreshed = result.refreshedAt { model["refreshedAt"] = PageTime.model(refreshed, locale: locale) }
            model["refundsDue"] = try await refundsDueModel(locale, logger: context.logger)
            return page(request, "owners", title: strings["owners"] ?? "", model: model, session: session)
        }
    }

    /// The list's query string, for links that keep the search and window.
    struct OwnersQuery {
        var search: String?
        var window: Int
        var sort: AdminOwnerList.Sort
        var descending: Bool

        func with(sort: AdminOwnerList.Sort, descending: Bool) -> Self {
            var copy = self
            copy.sort = sort
            copy.descending = descending
            return copy
        }

        func href(after: AdminOwnerList.Cursor?) -> String {
            var items = ["window=\(window)", "sort=\(sort.rawValue)", "dir=\(descending ? "desc" : "asc")"]
            if let search { items.append("q=" + (search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
            if let after { items.append("after=" + (after.text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
            return "/admin/dashboard/owners?" + items.joined(separator: "&")
        }
    }

    /// A GET form's field from the raw query: `+` is a space there (as browsers encode forms), `%2B` a plus.
    static func formQueryValue(_ request: Request, _ name: String) -> String? {
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == Substring(name) else { continue }
            return parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    /// Basis points as a percentage with one decimal ("97.5%"); "—" without payments.
    static func percent(_ basisPoints: Int64?) -> String {
        guard let basisPoints else { return "—" }
        let tenths = (basisPoints + 5) / 10
        return "\(tenths / 10).\(tenths % 10)%"
    }
}
