// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseCore
import Testing

@Suite struct Base64TextEncodesLikeFoundation {
    @Test func base64MatchesFoundation() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) & 0xFF) }
            #expect(Base64Text.encode(bytes) == Data(bytes).base64EncodedString())
        }
    }
}
