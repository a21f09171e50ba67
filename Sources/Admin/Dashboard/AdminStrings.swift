// Copyright (c) the Gatehouse authors
import GatehouseCore
import Tenancy

/// The dashboard's words in Vietnamese and English (keys are the template's `s.*` names).
enum AdminStrings {
    static func table(_ locale: PageLocale) -> [String: String] {
        locale == .vi ? vi : en
    }

    /// The owners list's windows (Vietnam days) and their string keys.
    static let windows: [(Int, String)] = [(1, "window1"), (7, "window7"), (30, "window30")]

    static let en: [String: String] = [
        "overview": "Overview", "statsNote": "Figures refreshed every minute; computed at", "paymentsCreated": "payments",
        "paid": "paid", "volume": "Volume", "byHour48": "by hour, last 48 hours", "byDay30": "by day, last 30 days",
        "attention": "Needs attention", "underpaid": "Underpaid, still pending", "stuckPending": "Pending past expiry",
        "expired": "expired", "webhookHealth": "Webhook health", "last24Hours": "last 24 hours", "webhooksReceived": "Webhooks received",
        "verificationFailures": "Signature verification failures", "webhookLag": "Average lag (payOS → us)", "maximum": "max",
        "reconciledShare": "Settled by reconciliation instead of webhook", "lowestSuccess": "Lowest success rate",
        "highestVolume": "Highest volume", "rankingNote": "Window: the last", "daysMinimum": "Vietnam days; owners with at least",
        "days": "Vietnam days", "searchOwners": "Search (name, e-mail, id or #id)", "window": "Window", "search": "Search",
        "figuresFor": "Success rate and volume over", "sort_id": "#", "sort_rate": "Success rate", "sort_volume": "Volume",
        "sort_last": "Last payment", "sort_status": "Status", "firstPage": "← First page", "nextPage": "Next page →",
        "window1": "today (Vietnam day)", "window7": "the last 7 days", "window30": "the last 30 days",
        "owners": "Owners", "vault": "Vault", "deadNotifications": "Dead e-mails", "audit": "Audit trail", "signOut": "Sign out",
        "otherLanguage": "Tiếng Việt", "signInTitle": "Sign in", "adminToken": "Admin token", "signIn": "Sign in", "name": "Name",
        "status": "Status", "onboarding": "Onboarding", "credentials": "payOS credentials", "rateLimit": "Rate limit",
        "requestsPerSecond": "Requests per second", "burst": "Burst", "save": "Save", "charts": "Payments",
        "last48Hours": "Last 48 hours", "last30Days": "Last 30 days", "activeVersion": "Active master key version",
        "ringVersions": "Versions in the key ring", "version": "Version", "keys": "Keys wrapped", "keysToRewrap": "Keys still to re-wrap",
        "unfinishedRun": "Unfinished rotation run", "rotateMasterKey": "Rotate master key", "noDeadNotifications": "No dead e-mails.",
        "owner": "Owner", "recipient": "Recipient", "subject": "Subject", "attempts": "Attempts", "lastError": "Last error", "resend": "Re-send",
        "action": "Action", "from": "From (date)", "to": "To (date, included)", "filter": "Filter", "time": "Time (Vietnam, UTC+7)", "actor": "Actor", "detail": "Detail",
        "requestID": "Request", "older": "Older entries →", "active": "active", "suspended": "suspended", "pending": "pending",
        "suspend": "Suspend", "reactivate": "Reactivate", "notStored": "not stored", "defaultLimit": "default",
        "successRate": "Success rate", "processingTime": "Average processing time (created → paid)",
        "saved": "Saved.", "rotated": "Master key rotation finished.", "resent": "The e-mail is queued again.",
        "badSignIn": "That is not a valid admin token.", "badForm": "The form expired; please try again.",
        "invalidRateLimit": "Requests per second must be 1–100000 and burst 1–1000000.", "notFound": "Not found.",
        "failed": "The action failed; see the server log with the request id.",
        "refunds": "Refunds due", "openRefunds": "Refunds owed to renters", "noRefunds": "No refund is owed.", "payment": "Payment",
        "orderCode": "order", "renter": "Renter", "amountToRefund": "To refund", "of": "of", "reason": "Reason",
        "flaggedAt": "Flagged (Vietnam, UTC+7)", "markRefunded": "Mark refunded", "refundResolved": "Recorded as refunded.",
        "reason_paid_after_cancel": "Paid after the link was cancelled or replaced",
        "reason_paid_after_expiry": "Paid after the link expired", "reason_paid_after_failure": "Paid on a link payOS reported failed",
        "reason_booking_already_paid": "The booking was already paid by another payment",
        "reason_underpaid": "Paid less than the amount; the link ended",
    ]

    static let vi: [String: String] = [
        "overview": "Tổng quan", "statsNote": "Số liệu cập nhật mỗi phút; tính lúc", "paymentsCreated": "giao dịch",
        "paid": "đã trả", "volume": "Doanh số", "byHour48": "theo giờ, 48 giờ qua", "byDay30": "theo ngày, 30 ngày qua",
        "attention": "Cần xử lý", "underpaid": "Trả thiếu, còn chờ", "stuckPending": "Chờ quá hạn",
        "expired": "hết hạn", "webhookHealth": "Tình trạng webhook", "last24Hours": "24 giờ qua", "webhooksReceived": "Webhook đã nhận",
        "verificationFailures": "Lỗi xác minh chữ ký", "webhookLag": "Độ trễ trung bình (payOS → hệ thống)", "maximum": "tối đa",
        "reconciledShare": "Chốt bằng đối soát thay vì webhook", "lowestSuccess": "Tỷ lệ thành công thấp nhất",
        "highestVolume": "Doanh số cao nhất", "rankingNote": "Khoảng:", "daysMinimum": "ngày gần nhất (giờ Việt Nam); chủ nhà có ít nhất",
        "days": "ngày gần nhất (giờ Việt Nam)", "searchOwners": "Tìm (tên, e-mail, mã hoặc #mã)", "window": "Khoảng thời gian", "search": "Tìm",
        "figuresFor": "Tỷ lệ thành công và doanh số trong", "sort_id": "#", "sort_rate": "Tỷ lệ thành công", "sort_volume": "Doanh số",
        "sort_last": "Giao dịch gần nhất", "sort_status": "Trạng thái", "firstPage": "← Trang đầu", "nextPage": "Trang sau →",
        "window1": "hôm nay", "window7": "7 ngày qua", "window30": "30 ngày qua",
        "owners": "Chủ nhà", "vault": "Kho khóa", "deadNotifications": "E-mail lỗi", "audit": "Nhật ký kiểm toán", "signOut": "Đăng xuất",
        "otherLanguage": "English", "signInTitle": "Đăng nhập", "adminToken": "Mã quản trị", "signIn": "Đăng nhập", "name": "Tên",
        "status": "Trạng thái", "onboarding": "Kích hoạt", "credentials": "Khóa payOS", "rateLimit": "Giới hạn tần suất",
        "requestsPerSecond": "Yêu cầu mỗi giây", "burst": "Dồn tối đa", "save": "Lưu", "charts": "Thanh toán",
        "last48Hours": "48 giờ qua", "last30Days": "30 ngày qua", "activeVersion": "Phiên bản khóa chủ đang dùng",
        "ringVersions": "Các phiên bản trong vòng khóa", "version": "Phiên bản", "keys": "Số khóa được bọc",
        "keysToRewrap": "Khóa còn cần bọc lại", "unfinishedRun": "Lượt xoay khóa chưa xong", "rotateMasterKey": "Xoay khóa chủ",
        "noDeadNotifications": "Không có e-mail lỗi.", "owner": "Chủ nhà", "recipient": "Người nhận", "subject": "Tiêu đề",
        "attempts": "Số lần thử", "lastError": "Lỗi cuối", "resend": "Gửi lại", "action": "Hành động", "from": "Từ ngày", "to": "Đến hết ngày",
        "filter": "Lọc", "time": "Thời gian (giờ Việt Nam)", "actor": "Người thực hiện", "detail": "Chi tiết", "requestID": "Yêu cầu",
        "older": "Cũ hơn →", "active": "đang hoạt động", "suspended": "tạm khóa", "pending": "chờ", "suspend": "Tạm khóa",
        "reactivate": "Mở lại", "notStored": "chưa lưu", "defaultLimit": "mặc định", "successRate": "Tỷ lệ thành công",
        "processingTime": "Thời gian xử lý trung bình (tạo → đã trả)", "saved": "Đã lưu.", "rotated": "Đã xoay khóa chủ xong.",
        "resent": "E-mail đã được xếp hàng gửi lại.", "badSignIn": "Mã quản trị không hợp lệ.",
        "badForm": "Biểu mẫu đã hết hạn, vui lòng thử lại.",
        "invalidRateLimit": "Yêu cầu mỗi giây phải từ 1 đến 100000 và dồn tối đa từ 1 đến 1000000.", "notFound": "Không tìm thấy.",
        "failed": "Thao tác thất bại; xem nhật ký máy chủ theo mã yêu cầu.",
        "refunds": "Cần hoàn tiền", "openRefunds": "Khoản cần hoàn cho người thuê", "noRefunds": "Không có khoản nào cần hoàn.",
        "payment": "Thanh toán", "orderCode": "mã đơn", "renter": "Người thuê", "amountToRefund": "Số tiền hoàn", "of": "trên",
        "reason": "Lý do", "flaggedAt": "Ghi nhận lúc (giờ Việt Nam)", "markRefunded": "Đã hoàn tiền", "refundResolved": "Đã ghi nhận hoàn tiền.",
        "reason_paid_after_cancel": "Thanh toán sau khi liên kết đã bị hủy hoặc thay thế",
        "reason_paid_after_expiry": "Thanh toán sau khi liên kết hết hạn",
        "reason_paid_after_failure": "Thanh toán trên liên kết payOS báo thất bại",
        "reason_booking_already_paid": "Đặt phòng đã được thanh toán bằng giao dịch khác",
        "reason_underpaid": "Thanh toán thiếu; liên kết đã kết thúc",
    ]
}
