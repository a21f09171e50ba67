// Copyright (c) the Gatehouse authors

/// Formatting of Vietnamese đồng amounts for people.
///
/// Amounts are integer VND (the đồng has no minor unit in use), so formatting is pure digit grouping — no floating
/// point and no Foundation number formatter whose output would depend on the host's ICU data.
///
/// Separator decision: Vietnamese pages group with `.` (`500.000 ₫`), as Vietnamese banks and receipts do. English
/// pages group with `,` (`500,000 ₫`), because an English reader takes `500.000` for five hundred with three
/// decimals — a dangerous misreading on a payment page. The currency sign follows the number on both.
public enum VND {
    /// The amount with `.` thousands separators and the đồng sign: `500.000 ₫`.
    public static func format(_ amount: Int64) -> String {
        format(amount, locale: .vi)
    }

    /// The amount formatted for `locale`: `500.000 ₫` (Vietnamese) or `500,000 ₫` (English).
    public static func format(_ amount: Int64, locale: PageLocale) -> String {
        "\(digits(amount, locale: locale)) ₫"
    }

    /// The grouped number without the currency sign, e.g. `1.234.567`.
    public static func digits(_ amount: Int64, locale: PageLocale = .vi) -> String {
        let separator: Character = locale == .vi ? "." : ","
        // `magnitude` is a UInt64, so even Int64.min formats without overflow.
        let plain = String(amount.magnitude)
        var grouped = ""
        grouped.reserveCapacity(plain.count + plain.count / 3 + 1)
        for (index, digit) in plain.enumerated() {
            if index > 0, (plain.count - index) % 3 == 0 { grouped.append(separator) }
            grouped.append(digit)
        }
        return amount < 0 ? "-" + grouped : grouped
    }
}
