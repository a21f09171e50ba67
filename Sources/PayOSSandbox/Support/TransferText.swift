// Copyright (c) the Gatehouse authors

/// Bank transfer content is plain ASCII: Vietnamese banks strip diacritics, and VietQR TLV lengths count characters.
enum TransferText {
    /// Vietnamese letters with diacritics, grouped by the ASCII letter they fold to.
    private static let folds: [Character: Character] = {
        let groups: [(Character, String)] = [
            ("a", "àáảãạăằắẳẵặâầấẩẫậ"), ("A", "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"),
            ("e", "èéẻẽẹêềếểễệ"), ("E", "ÈÉẺẼẸÊỀẾỂỄỆ"),
            ("i", "ìíỉĩị"), ("I", "ÌÍỈĨỊ"),
            ("o", "òóỏõọôồốổỗộơờớởỡợ"), ("O", "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"),
            ("u", "ùúủũụưừứửữự"), ("U", "ÙÚỦŨỤƯỪỨỬỮỰ"),
            ("y", "ỳýỷỹỵ"), ("Y", "ỲÝỶỸỴ"),
            ("d", "đ"), ("D", "Đ"),
        ]
        var table: [Character: Character] = [:]
        for (ascii, accented) in groups {
            for character in accented { table[character] = ascii }
        }
        return table
    }()

    /// `text` with Vietnamese diacritics removed and every other non-printable-ASCII character dropped.
    static func asciiFolded(_ text: String) -> String {
        var out = ""
        for character in text {
            if let folded = folds[character] {
                out.append(folded)
            } else if character.isASCII, let scalar = character.unicodeScalars.first, (0x20...0x7E).contains(scalar.value) {
                out.append(character)
            }
        }
        return out
    }
}
