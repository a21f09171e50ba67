// Copyright (c) the Gatehouse authors
public import Foundation
public import Hummingbird
import Mustache
import GatehouseCore
import GatehouseHTTP

/// `GET /owner/onboarding`: the page where an owner submits their payOS credentials (Vietnamese or English).
///
/// The page holds no secret and needs no session: the owner types their Gatehouse API key into the form, and a small
/// script (nonce'd, like the renter pages, under the same strict CSP) sends it with the credentials to
/// `PUT /api/owner/payos-credentials`, which proves them with payOS before storing anything. The answer shown is the
/// outcome and the masked hint only; the key fields are cleared after each submit.
public struct OnboardingController<Context: RequestContext>: Sendable {
    static var templateNames: [String] { ["onboarding.mustache", "onboarding.js", "renter.css"] }

    private let template: MustacheTemplate
    private let script: String
    private let stylesheet: String

    /// Loads the page's template, script and stylesheet from the Gateway bundle (or `templatesDirectory`).
    /// - Throws: ``RenterPagesError`` naming a missing or invalid file, so the application refuses to start.
    public init(templatesDirectory: URL? = nil) throws {
        guard let directory = templatesDirectory ?? RenterPages.bundledTemplatesDirectory else {
            throw RenterPagesError(.templatesDirectoryMissing, templateName: "", detail: "no Templates folder")
        }
        func read(_ name: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw RenterPagesError(.templateMissing, templateName: name, detail: path)
            }
            return text
        }
        do {
            template = try MustacheTemplate(string: try read("onboarding.mustache"))
        } catch let error as RenterPagesError {
            throw error
        } catch {
            throw RenterPagesError(.templateInvalid, templateName: "onboarding.mustache", detail: String(describing: error))
        }
        script = try read("onboarding.js")
        stylesheet = try read("renter.css")
    }

    public var endpoints: RouteCollection<Context> {
        RouteCollection(context: Context.self).get("/owner/onboarding", use: page)
    }

    @Sendable func page(request: Request, context: Context) async throws -> HTMLPage {
        let locale = request.pageLocale
        let nonce = HTMLPage.makeNonce()
        let html = render(locale: locale, nonce: nonce)
        var extra: HTTPFields = [:]
        if let cookie = request.languageCookie { extra[.setCookie] = cookie }
        return HTMLPage(html: html, nonce: nonce, extraHeaders: extra)
    }

    /// The page in `locale` with `nonce` on its style and script.
    func render(locale: PageLocale, nonce: String) -> String {
        let model: [String: Any] = [
            "lang": locale.code, "otherLang": locale.other.code, "toggleURL": locale.toggleQuery, "nonce": nonce, "css": stylesheet,
            "script": script, "s": OnboardingStrings.strings(locale),
        ]
        return template.render(model)
    }
}

/// The onboarding page's words, in Vietnamese and English (`{hint}` and `{time}` are filled by the script).
enum OnboardingStrings {
    static func strings(_ locale: PageLocale) -> [String: String] {
        switch locale {
        case .vi:
            [
                "title": "Kết nối tài khoản payOS", "badge": "Gatehouse", "switchLanguage": "English",
                "intro": "Nhập khóa API Gatehouse của bạn và ba thông tin từ kênh thanh toán payOS. Gatehouse kiểm tra chúng với payOS trước khi lưu.",
                "ownerKey": "Khóa API Gatehouse", "clientID": "Client ID", "apiKey": "API Key", "checksumKey": "Checksum Key",
                "submit": "Kiểm tra và lưu", "show": "Xem thông tin đã lưu",
                "success": "Đã xác minh và lưu.", "busy": "Đang kiểm tra với payOS…",
                "unauthorized": "Khóa API Gatehouse không hợp lệ.",
                "partClientOrKey": "payOS từ chối Client ID hoặc API Key.",
                "partChecksum": "Checksum Key không khớp với chữ ký của payOS.",
                "partWebhook": "payOS không gọi được địa chỉ webhook của bạn. Vui lòng thử lại sau.",
                "validation": "Mỗi trường phải có từ 1 đến 256 ký tự, không có khoảng trắng.",
                "unavailable": "Không kết nối được payOS. Vui lòng thử lại sau.", "error": "Đã có lỗi. Vui lòng thử lại.",
                "none": "Chưa lưu thông tin payOS nào.", "current": "Client ID đang dùng: {hint}, cập nhật lúc {time}.",
                "privacy": "Khóa của bạn được mã hóa khi lưu và không bao giờ hiển thị lại.",
            ]
        case .en:
            [
                "title": "Connect your payOS account", "badge": "Gatehouse", "switchLanguage": "Tiếng Việt",
                "intro": "Enter your Gatehouse API key and the three values of your payOS payment channel. Gatehouse checks them with payOS before storing them.",
                "ownerKey": "Gatehouse API key", "clientID": "Client ID", "apiKey": "API key", "checksumKey": "Checksum key",
                "submit": "Verify and save", "show": "Show stored credentials",
                "success": "Verified and saved.", "busy": "Checking with payOS…",
                "unauthorized": "The Gatehouse API key is not valid.",
                "partClientOrKey": "payOS refused the client ID or API key.",
                "partChecksum": "The checksum key does not match payOS's signature.",
                "partWebhook": "payOS could not reach your webhook address. Please try again later.",
                "validation": "Each field must be 1 to 256 characters without spaces.",
                "unavailable": "payOS could not be reached. Please try again later.", "error": "Something went wrong. Please try again.",
                "none": "No payOS credentials are stored yet.", "current": "Client ID in use: {hint}, updated {time}.",
                "privacy": "Your keys are encrypted when stored and never shown again.",
            ]
        }
    }
}
