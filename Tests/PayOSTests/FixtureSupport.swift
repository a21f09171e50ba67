// Copyright (c) the Gatehouse authors
import Foundation
import PayOS
import Testing

/// Reads the protocol fixtures copied from `shared/payos` (see `spec.md` section 9).
enum Fixtures {
    /// Checksum key of the project vectors (9.2); also the docs' sample key.
    static let projectKey = "1a54716c8f0efb2744fb28b6e38b25da7f67a925d98bc1c18bd8faaecadd7675"
    /// Checksum key of the official SDK test cases (9.1).
    static let officialKey = "test_checksum_key"

    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return Array(try Data(contentsOf: url))
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: try bytes(name))
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name) is not in the test bundle" }
    }
}

/// One case of `official-sdk-test-cases.json` (payOSHQ/payos-lib-python `tests/_crypto/testCases.json`).
struct OfficialSDKCase: Sendable, CustomTestStringConvertible {
    let index: Int
    let name: String
    let type: String
    let payload: JSONObject
    let expected: String

    var testDescription: String { "#\(index) \(type): \(name)" }

    /// All cases; an unreadable file yields none, which `officialFixtureHasAll24Cases` reports.
    static let all: [OfficialSDKCase] = (try? load()) ?? []

    static func load() throws -> [OfficialSDKCase] {
        guard case .array(let elements) = try Fixtures.json("official-sdk-test-cases.json") else { return [] }
        return elements.enumerated().compactMap { index, element in
            guard let name = element["caseName"]?.stringValue, let type = element["type"]?.stringValue,
                let payload = element["payload"]?.objectValue, let expected = element["expect"]?.stringValue
            else { return nil }
            return OfficialSDKCase(index: index, name: name, type: type, payload: payload, expected: expected)
        }
    }
}

/// One entry of `test-vectors.json`: a canonical string and its signature under ``Fixtures/projectKey``.
struct ProjectVector: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let signature: String

    var testDescription: String { name }

    static let all: [ProjectVector] = (try? load()) ?? []

    static func load() throws -> [ProjectVector] {
        guard case .object(let object) = try Fixtures.json("test-vectors.json") else { return [] }
        return object.entries.compactMap { entry in
            guard let text = entry.value["string"]?.stringValue, let signature = entry.value["signature"]?.stringValue else { return nil }
            return ProjectVector(name: entry.key, text: text, signature: signature)
        }
    }
}
