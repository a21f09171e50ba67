// Copyright (c) the Gatehouse authors
import Foundation
import Testing

@testable import PayOSSandbox
import GatehouseCore

@Suite struct VietQRTests {
    // MARK: Tests

    @Test func reproducesTheSpecExampleExactly() throws {
        let payload = try SandboxVietQR.payload(bin: "970422", accountNumber: "VQRQAFRJT1234", amount: 50_000, purpose: "CSX3K9QZ7B Thanh toan don 123")
        #expect(payload == QRCodeTests.vietQR)
    }

    @Test func crcIsCCITTFalse() {
        // The standard check value of CRC-16/CCITT-FALSE.
        #expect(SandboxVietQR.crc16("123456789") == 0x29B1)
        #expect(SandboxVietQR.crc16("") == 0xFFFF)
    }

    @Test func crcCoversEverythingUpToAndIncluding6304() throws {
        let payload = try SandboxVietQR.payload(bin: "970436", accountNumber: "0071000123456", amount: 2_000, purpose: "ABCDEFGHIJ Thanh toan don hang")
        let body = payload.dropLast(4)
        #expect(body.hasSuffix("6304"))
        #expect(String(payload.suffix(4)) == String(format: "%04X", SandboxVietQR.crc16(String(body))))
    }

    @Test func fieldsAreWellFormedTLV() throws {
        let payload = try SandboxVietQR.payload(bin: "970422", accountNumber: "VQRQ123", amount: 1, purpose: "X")
        var fields: [String: String] = [:]
        var rest = Substring(payload)
        while !rest.isEmpty {
            let tag = String(rest.prefix(2))
            let length = try #require(Int(rest.dropFirst(2).prefix(2)))
            fields[tag] = String(rest.dropFirst(4).prefix(length))
            rest = rest.dropFirst(4 + length)
        }
        #expect(fields["00"] == "01")
        #expect(fields["01"] == "12")
        #expect(fields["53"] == "704")
        #expect(fields["54"] == "1")
        #expect(fields["58"] == "VN")
        #expect(fields["62"] == "0801X")
        #expect(fields["38"] == "0010A000000727" + "0121" + "0006970422" + "0107VQRQ123" + "0208QRIBFTTA")
        #expect(fields["63"]?.count == 4)
    }

    @Test(arguments: [
        ("", "purpose"), ("Thanh toán", "purpose"), (String(repeating: "x", count: 96), "purpose"),
    ])
    func unusablePurposeIsRefused(purpose: String, field: String) {
        #expect(throws: SandboxVietQR.BuildError(field: field)) {
            try SandboxVietQR.payload(bin: "970422", accountNumber: "VQRQ1", amount: 1, purpose: purpose)
        }
    }

    @Test func vietnameseTextFoldsToASCII() {
        #expect(TransferText.asciiFolded("Thanh toán đơn hàng") == "Thanh toan don hang")
        #expect(TransferText.asciiFolded("ĐẶT PHÒNG Ở ĐÀ LẠT") == "DAT PHONG O DA LAT")
        #expect(TransferText.asciiFolded("emoji 🎉 gone") == "emoji  gone")
    }
}

@Suite struct VietnamTimeTests {
    // MARK: Tests

    @Test func isoTextUsesPlusSevenHours() {
        #expect(VietnamTime.iso8601(1_750_231_800) == "2025-06-18T14:30:00+07:00")
        #expect(VietnamTime.iso8601(1_709_139_605) == "2024-02-29T00:00:05+07:00")
        #expect(VietnamTime.iso8601(1_735_664_399) == "2024-12-31T23:59:59+07:00")
        #expect(VietnamTime.iso8601(0) == "1970-01-01T07:00:00+07:00")
    }

    @Test func webhookTextHasNoZone() {
        #expect(VietnamTime.webhookDateTime(1_750_231_800 + 125) == "2025-06-18 14:32:05")
    }

    @Test func referencePrefixIsYearAndDayOfYear() {
        #expect(VietnamTime.yearAndDayOfYear(1_750_231_800) == "25169")
        #expect(VietnamTime.yearAndDayOfYear(1_735_664_399) == "24366")
        // 17:00 UTC on 31 Dec 2024 is already 1 Jan 2025 in Vietnam.
        #expect(VietnamTime.yearAndDayOfYear(1_735_664_400) == "25001")
    }
}
