// Copyright (c) the Gatehouse authors
import QRCode
import GatehouseCore

/// The sandbox's stand-in for `pay.payos.vn/web/<id>`: the VietQR code, where to transfer, and buttons that
/// simulate the buyer (pay in full, pay part, cancel). Plain HTML and CSS, readable on a phone, no scripts.
struct CheckoutPage {
    let link: SandboxPaymentLink
    let status: PaymentLinkStatus
    let payable: Bool
    /// A one-line message above the details (result of the last action).
    var notice: String?

    var html: String {
        let bank = BankDirectory.bank(forBIN: link.bin)
        let qrSVG = (try? QRCode(encoding: link.qrCode).svg(pixelSize: nil)) ?? ""
        var body = ""
        if let notice { body += "<p class=\"notice\">\(HTML.escape(notice))</p>" }
        body += "<p class=\"status status-\(status.rawValue.lowercased())\">\(status.rawValue)</p>"
        if payable { body += "<div class=\"qr\" aria-label=\"VietQR\">\(qrSVG)</div>" }
        body += "<dl>"
        body += row("Ngân hàng", "\(bank.shortName) (\(link.bin))")
        body += row("Số tài khoản", link.accountNumber, mono: true)
        body += row("Chủ tài khoản", link.accountName)
        body += row("Số tiền", Self.money(link.amount))
        if link.amountPaid > 0 {
            body += row("Đã thanh toán", Self.money(link.amountPaid))
            body += row("Còn lại", Self.money(link.amountRemaining))
        }
        body += row("Nội dung", link.transferContent, mono: true)
        body += row("Mô tả", link.description)
        body += row("Mã đơn hàng", String(link.orderCode), mono: true)
        body += "</dl>"
        let action = "/web/\(link.id)"
        if payable {
            body += """
                <form method="post" action="\(action)/pay"><button class="primary" type="submit">Thanh toán đủ \
                \(Self.money(link.amountRemaining))</button></form>
                <form method="post" action="\(action)/pay" class="partial">\
                <label for="amount">Thanh toán một phần (VND)</label>\
                <input id="amount" name="amount" type="number" inputmode="numeric" min="1" max="\(link.amountRemaining)" required>\
                <button type="submit">Thanh toán một phần</button></form>
                <form method="post" action="\(action)/cancel"><button class="danger" type="submit">Hủy thanh toán</button></form>
                """
        } else if status == .paid {
            body +=
                "<p><a class=\"button primary\" href=\"\(HTML.escape(CheckoutRedirect.url(for: link, status: status)))\">Quay lại cửa hàng</a></p>"
        } else if status == .cancelled || status == .expired || status == .failed {
            body += "<p><a class=\"button\" href=\"\(HTML.escape(CheckoutRedirect.url(for: link, status: status)))\">Quay lại cửa hàng</a></p>"
        }
        body += "<p class=\"refresh\"><a href=\"\(action)\">Tải lại</a></p>"
        return Self.document(title: "Thanh toán đơn \(link.orderCode)", body: body)
    }

    private func row(_ label: String, _ value: String, mono: Bool = false) -> String {
        "<dt>\(HTML.escape(label))</dt><dd\(mono ? " class=\"mono\"" : "")>\(HTML.escape(value))</dd>"
    }

    /// `50000` → `50.000 VND` (Vietnamese thousands separator).
    static func money(_ amount: Int64) -> String {
        let digits = Array(String(amount))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(".") }
            out.append(digit)
        }
        return out + " VND"
    }

    /// A page with only a message (unknown link, refused action).
    static func message(_ text: String) -> String {
        document(title: "payOS sandbox", body: "<p class=\"notice\">\(HTML.escape(text))</p>")
    }

    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="vi"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title)) · payOS sandbox</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f3f5f9;color:#1b1f24}
        main{max-width:26rem;margin:0 auto;padding:1rem}
        header{font-weight:600;font-size:1.1rem;margin-bottom:.75rem}header span{color:#6b7280;font-weight:400}
        .card{background:#fff;border-radius:12px;padding:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
        .qr{background:#fff;max-width:18rem;margin:0 auto 1rem}.qr svg{display:block;width:100%;height:auto}
        .status{display:inline-block;padding:.2rem .6rem;border-radius:999px;font-weight:600;font-size:.85rem;background:#e5e7eb}
        .status-paid{background:#d1fae5;color:#065f46}.status-cancelled,.status-expired,.status-failed{background:#fee2e2;color:#991b1b}
        .status-underpaid{background:#fef3c7;color:#92400e}
        .notice{background:#eef2ff;border-radius:8px;padding:.6rem .8rem}
        dl{display:grid;grid-template-columns:auto 1fr;gap:.35rem .75rem;margin:1rem 0}
        dt{color:#6b7280}dd{margin:0;word-break:break-word}.mono{font-family:ui-monospace,monospace}
        form{margin:.6rem 0}label{display:block;margin-bottom:.3rem;color:#374151}
        input{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;border:1px solid #d1d5db;border-radius:8px;margin-bottom:.4rem}
        button,.button{display:block;width:100%;box-sizing:border-box;text-align:center;text-decoration:none;font-size:1.05rem}
        button,.button{padding:.8rem;border-radius:8px;border:1px solid #d1d5db;background:#fff;color:#1b1f24;cursor:pointer}
        .primary{background:#4f46e5;border-color:#4f46e5;color:#fff}.danger{color:#b91c1c;border-color:#fca5a5}
        .refresh{text-align:center;font-size:.9rem}
        </style></head>
        <body><main><header>payOS <span>sandbox</span></header><div class="card">
        \(body)
        </div></main></body></html>
        """
    }
}

/// The browser redirect payOS makes after checkout (spec 6.2): `returnUrl` or `cancelUrl` plus
/// `code, id, cancel, status, orderCode`. These parameters are unsigned; merchants must confirm server-side.
enum CheckoutRedirect {
    static func url(for link: SandboxPaymentLink, status: PaymentLinkStatus) -> String {
        let cancelled = status == .cancelled || status == .expired
        let base = cancelled ? link.cancelUrl : link.returnUrl
        let query = "code=00&id=\(link.id)&cancel=\(cancelled)&status=\(status.rawValue)&orderCode=\(link.orderCode)"
        let (beforeFragment, fragment) = split(base)
        let separator = beforeFragment.contains("?") ? (beforeFragment.hasSuffix("?") || beforeFragment.hasSuffix("&") ? "" : "&") : "?"
        return beforeFragment + separator + query + fragment
    }

    private static func split(_ url: String) -> (String, String) {
        guard let hash = url.firstIndex(of: "#") else { return (url, "") }
        return (String(url[..<hash]), String(url[hash...]))
    }
}
