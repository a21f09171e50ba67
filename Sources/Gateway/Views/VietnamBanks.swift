// Copyright (c) the Gatehouse authors
import GatehouseCore

/// Short names of Vietnamese banks by their NAPAS BIN, the 6-digit bank id payOS returns in `bin`.
///
/// The renter sees "MB Bank" instead of `970422` next to the account number, which is how they will look the bank
/// up in their own app. The table lists the banks renters meet most; an unknown BIN is shown as the BIN itself, which
/// is still correct (every Vietnamese banking app accepts VietQR, and the BIN is printed alongside anyway).
public enum VietnamBanks {
    /// NAPAS BIN → bank short name.
    public static let shortNames: [String: String] = [
        "970400": "Saigonbank",
        "970403": "Sacombank",
        "970405": "Agribank",
        "970406": "DongA Bank",
        "970407": "Techcombank",
        "970408": "GPBank",
        "970409": "Bac A Bank",
        "970412": "PVcomBank",
        "970414": "OceanBank",
        "970415": "VietinBank",
        "970416": "ACB",
        "970418": "BIDV",
        "970419": "NCB",
        "970422": "MB Bank",
        "970423": "TPBank",
        "970424": "Shinhan Bank",
        "970425": "ABBANK",
        "970426": "MSB",
        "970427": "VietABank",
        "970428": "Nam A Bank",
        "970429": "SCB",
        "970430": "PG Bank",
        "970431": "Eximbank",
        "970432": "VPBank",
        "970433": "Vietbank",
        "970436": "Vietcombank",
        "970437": "HDBank",
        "970438": "BaoViet Bank",
        "970439": "Public Bank",
        "970440": "SeABank",
        "970441": "VIB",
        "970442": "Hong Leong Bank",
        "970443": "SHB",
        "970448": "OCB",
        "970449": "LPBank",
        "970452": "KienlongBank",
        "970454": "BVBank",
    ]

    /// The bank's short name for `bin`, or the BIN itself when the bank is not in the table.
    public static func shortName(forBIN bin: String) -> String {
        let trimmed = bin.trimmingASCIIWhitespace()
        return shortNames[trimmed] ?? trimmed
    }
}
