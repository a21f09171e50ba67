// Copyright (c) the Gatehouse authors
public import PayOS
import Sodium

/// One payOS merchant channel ("kênh thanh toán"): the credentials an SDK is configured with plus the bank account
/// that receives the transfers. payOS scopes order codes, webhook URLs and keys to a channel, so the sandbox does too.
public struct SandboxChannel: Sendable, Hashable {
    /// `x-client-id`.
    public var clientId: String
    /// `x-api-key`.
    public var apiKey: String
    /// HMAC key for every signature of this channel (used as UTF-8 text, never hex-decoded).
    public var checksumKey: String
    /// NAPAS BIN of the receiving bank (6 digits).
    public var bin: String
    /// Receiving account; payOS virtual accounts look like `VQRQ…`.
    public var accountNumber: String
    /// Account holder, upper-case ASCII as banks print it.
    public var accountName: String
    /// Where payment webhooks go; set by `POST /confirm-webhook` (after a successful probe) or given up front,
    /// as a merchant would save it in the payOS dashboard.
    public var webhookUrl: String?
    /// Whether the receiving account is linked through payOS. payOS takes descriptions of at most 25 characters for
    /// linked accounts and at most 9 for others (code 20, "description: Mô tả tối đa 9 kí tự").
    public var linkedAccount: Bool
    /// Fields payOS does not document today, added to every webhook `data` (signed), to the webhook's top level, and
    /// to the `data` of every API answer (signed where payOS signs): how the sandbox shows that a merchant keeps
    /// working when payOS adds a field, as it once added `currency`. A documented key is never replaced.
    public var extraFields: JSONObject

    /// Default bank when a channel names none: MB (Military Commercial Joint Stock Bank), which payOS itself uses.
    public static let defaultBIN = "970422"
    /// Default account holder when a channel names none.
    public static let defaultAccountName = "GATEHOUSE SANDBOX MERCHANT"

    /// - Parameters:
    ///   - accountNumber: Defaults to a `VQRQ…` virtual account derived from `clientId`, stable across restarts.
    public init(
        clientId: String,
        apiKey: String,
        checksumKey: String,
        bin: String = SandboxChannel.defaultBIN,
        accountNumber: String? = nil,
        accountName: String = SandboxChannel.defaultAccountName,
        webhookUrl: String? = nil,
        linkedAccount: Bool = true,
        extraFields: JSONObject = JSONObject()
    ) {
        self.clientId = clientId
        self.apiKey = apiKey
        self.checksumKey = checksumKey
        self.bin = bin
        self.accountNumber = accountNumber ?? Self.defaultAccountNumber(for: clientId)
        self.accountName = accountName
        self.webhookUrl = webhookUrl
        self.linkedAccount = linkedAccount
        self.extraFields = extraFields
    }

    /// `object` with this channel's ``extraFields`` appended (keys it already has are kept as they are).
    func addingExtraFields(to object: JSONObject) -> JSONObject {
        var object = object
        for (key, value) in extraFields where !object.contains(key) { object[key] = value }
        return object
    }

    /// `VQRQ` + 9 upper-case characters derived from the client id, so the same channel keeps the same account.
    static func defaultAccountNumber(for clientId: String) -> String {
        "VQRQ" + HMACSHA256.hexTag(clientId, key: "gatehouse-sandbox-account").prefix(9).uppercased()
    }

    /// The channel as the control API shows it: secrets are never echoed.
    var publicJSON: JSONObject {
        [
            "clientId": .string(clientId),
            "bin": .string(bin),
            "accountNumber": .string(accountNumber),
            "accountName": .string(accountName),
            "webhookUrl": webhookUrl.map(JSONValue.string) ?? .null,
            "linkedAccount": .bool(linkedAccount),
            "extraFields": .object(extraFields),
        ]
    }
}

// MARK: Parsing

extension SandboxChannel {
    /// Parses the control API's channel object `{clientId, apiKey, checksumKey, bin?, accountNumber?, accountName?,
    /// webhookUrl?, linkedAccount?, extraFields?}` (also the element type of the `--channels` file). Unknown keys are refused so typos surface.
    ///
    /// - Parameter clientIdFromPath: When the client id comes from the URL, the body may omit it but must not contradict it.
    /// - Throws: ``SandboxControlError`` naming the first bad field.
    init(json: JSONValue, clientIdFromPath: String? = nil) throws(SandboxControlError) {
        guard let object = json.objectValue else {
            throw .invalidInput("a channel must be a JSON object")
        }
        let known: Set<String> = ["clientId", "apiKey", "checksumKey", "bin", "accountNumber", "accountName", "webhookUrl", "linkedAccount", "extraFields"]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw .invalidInput("unknown channel field '\(unknown)'")
        }
        let input = ControlInput(object)
        var clientId = try input.optionalString("clientId")
        if let clientIdFromPath {
            if let clientId, clientId != clientIdFromPath {
                throw .invalidInput("clientId in the body differs from the one in the path")
            }
            clientId = clientIdFromPath
        }
        guard let clientId else { throw .invalidInput("clientId is required") }
        let apiKey = try input.requiredString("apiKey")
        let checksumKey = try input.requiredString("checksumKey")
        for (name, value) in [("clientId", clientId), ("apiKey", apiKey), ("checksumKey", checksumKey)] {
            guard !value.isEmpty, value.count <= 256, value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw .invalidInput("\(name) must be 1…256 printable ASCII characters without spaces")
            }
        }
        let bin = try input.optionalString("bin") ?? Self.defaultBIN
        guard bin.count == 6, bin.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .invalidInput("bin must be 6 digits (a NAPAS bank BIN such as 970422)")
        }
        let accountNumber = try input.optionalString("accountNumber") ?? Self.defaultAccountNumber(for: clientId)
        guard (1...19).contains(accountNumber.count), accountNumber.unicodeScalars.allSatisfy(Self.isDigitOrUpperCaseLetter) else {
            throw .invalidInput("accountNumber must be 1…19 digits or upper-case letters")
        }
        let accountName = try input.optionalString("accountName") ?? Self.defaultAccountName
        guard (1...70).contains(accountName.count), accountName.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }) else {
            throw .invalidInput("accountName must be 1…70 printable ASCII characters")
        }
        let webhookUrl = try input.optionalString("webhookUrl")
        if let webhookUrl, WebhookURL(webhookUrl) == nil {
            throw .invalidInput("webhookUrl must be an absolute http or https URL")
        }
        var extraFields = JSONObject()
        switch object["extraFields"] {
        case nil, .null?: break
        case .object(let fields)?: extraFields = fields
        default: throw .invalidInput("extraFields must be a JSON object")
        }
        self.init(
            clientId: clientId,
            apiKey: apiKey,
            checksumKey: checksumKey,
            bin: bin,
            accountNumber: accountNumber,
            accountName: accountName,
            webhookUrl: webhookUrl,
            linkedAccount: try input.optionalBool("linkedAccount") ?? true,
            extraFields: extraFields
        )
    }

    private static func isDigitOrUpperCaseLetter(_ scalar: Unicode.Scalar) -> Bool {
        (0x30...0x39).contains(scalar.value) || (0x41...0x5A).contains(scalar.value)
    }

    /// Parses a channels file: a JSON array of channel objects.
    /// - Throws: ``SandboxControlError`` naming the array index of the first bad entry.
    public static func parseChannelsFile(_ bytes: [UInt8]) throws(SandboxControlError) -> [SandboxChannel] {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw .invalidInput("channels file is not valid JSON (\(error.description))")
        }
        guard let array = json.arrayValue else { throw .invalidInput("channels file must be a JSON array of channel objects") }
        var channels: [SandboxChannel] = []
        var seen: Set<String> = []
        for (index, element) in array.enumerated() {
            let channel: SandboxChannel
            do {
                channel = try SandboxChannel(json: element)
            } catch {
                throw .invalidInput("channels[\(index)]: \(error.message)")
            }
            guard seen.insert(channel.clientId).inserted else {
                throw .invalidInput("channels[\(index)]: clientId '\(channel.clientId)' appears twice")
            }
            channels.append(channel)
        }
        return channels
    }
}

/// The bank behind a BIN, for `/confirm-webhook`'s `name`/`shortName` and the checkout page.
struct BankDirectory {
    struct Bank {
        var name: String
        var shortName: String
    }

    /// A few common NAPAS members; unknown BINs get a generic label.
    private static let banks: [String: Bank] = [
        "970422": Bank(name: "Ngân hàng TMCP Quân đội", shortName: "MBBank"),
        "970436": Bank(name: "Ngân hàng TMCP Ngoại Thương Việt Nam", shortName: "Vietcombank"),
        "970415": Bank(name: "Ngân hàng TMCP Công thương Việt Nam", shortName: "VietinBank"),
        "970418": Bank(name: "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam", shortName: "BIDV"),
        "970405": Bank(name: "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam", shortName: "Agribank"),
        "970407": Bank(name: "Ngân hàng TMCP Kỹ thương Việt Nam", shortName: "Techcombank"),
        "970416": Bank(name: "Ngân hàng TMCP Á Châu", shortName: "ACB"),
        "970432": Bank(name: "Ngân hàng TMCP Việt Nam Thịnh Vượng", shortName: "VPBank"),
        "970423": Bank(name: "Ngân hàng TMCP Tiên Phong", shortName: "TPBank"),
        "970403": Bank(name: "Ngân hàng TMCP Sài Gòn Thương Tín", shortName: "Sacombank"),
    ]

    static func bank(forBIN bin: String) -> Bank {
        banks[bin] ?? Bank(name: "Ngân hàng \(bin)", shortName: "BANK\(bin)")
    }
}
