/// An AV_PAIR's AvId (MS-NLMP §2.2.2.1).
public struct AVPairID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Terminates the list.
    public static let eol = Self(rawValue: 0)
    /// Server's NetBIOS computer name (Unicode).
    public static let nbComputerName = Self(rawValue: 1)
    /// Server's NetBIOS domain name (Unicode).
    public static let nbDomainName = Self(rawValue: 2)
    /// Server's DNS computer name (Unicode).
    public static let dnsComputerName = Self(rawValue: 3)
    /// Server's DNS domain name (Unicode).
    public static let dnsDomainName = Self(rawValue: 4)
    /// DNS forest name (Unicode).
    public static let dnsTreeName = Self(rawValue: 5)
    /// 32-bit flags: 0x1 constrained account, 0x2 the AUTHENTICATE carries a MIC, 0x4 untrusted SPN.
    public static let flags = Self(rawValue: 6)
    /// FILETIME of the server (CHALLENGE) or echoed by the client (NTLMv2 blob).
    public static let timestamp = Self(rawValue: 7)
    /// Single_Host_Data structure.
    public static let singleHost = Self(rawValue: 8)
    /// The SPN of the target server (Unicode).
    public static let targetName = Self(rawValue: 9)
    /// MD5 hash of the channel bindings (16 bytes).
    public static let channelBindings = Self(rawValue: 10)

    /// `MsvAvNbDomainName`; unknown ids render as `MsvAv(0x000b)`.
    public var name: String {
        switch rawValue {
        case 0: return "MsvAvEOL"
        case 1: return "MsvAvNbComputerName"
        case 2: return "MsvAvNbDomainName"
        case 3: return "MsvAvDnsComputerName"
        case 4: return "MsvAvDnsDomainName"
        case 5: return "MsvAvDnsTreeName"
        case 6: return "MsvAvFlags"
        case 7: return "MsvAvTimestamp"
        case 8: return "MsvAvSingleHost"
        case 9: return "MsvAvTargetName"
        case 10: return "MsvChannelBindings"
        default: return "MsvAv(0x" + hex(UInt64(rawValue), width: 4) + ")"
        }
    }

    /// Whether the value is a UTF-16LE string.
    public var isUnicodeString: Bool { (1...5).contains(rawValue) || rawValue == 9 }

    /// The value size MS-NLMP fixes for this id, if any.
    var fixedLength: Int? {
        switch rawValue {
        case 0: return 0
        case 6: return 4
        case 7: return 8
        case 10: return 16
        default: return nil
        }
    }

    public var description: String { name }
}

/// One AV_PAIR: an id and its value bytes.
public struct AVPair: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var id: AVPairID
    public var value: [UInt8]

    public init(id: AVPairID, value: [UInt8]) {
        self.id = id
        self.value = value
    }

    /// A string-valued pair, UTF-16LE encoded.
    public init(id: AVPairID, string: String) {
        self.init(id: id, value: NTLMSSPString.encode(string, unicode: true))
    }

    /// `MsvAvFlags`.
    public static func flags(_ v: UInt32) -> AVPair {
        var w = WireWriter(capacity: 4)
        w.u32(v)
        return AVPair(id: .flags, value: w.bytes)
    }

    /// `MsvAvTimestamp` (FILETIME: 100 ns ticks since 1601-01-01 UTC).
    public static func timestamp(_ filetime: UInt64) -> AVPair {
        var w = WireWriter(capacity: 8)
        w.u64(filetime)
        return AVPair(id: .timestamp, value: w.bytes)
    }

    /// The value as text, for the Unicode-string ids.
    public var stringValue: String? {
        id.isUnicodeString ? NTLMSSPString.decode(value, unicode: true) : nil
    }

    /// The value as a little-endian integer, for `MsvAvFlags` (4 bytes) and `MsvAvTimestamp` (8).
    public var integerValue: UInt64? {
        guard (id == .flags && value.count == 4) || (id == .timestamp && value.count == 8) else { return nil }
        return value.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Value rendering and meaning for spans and descriptions.
    var rendered: (value: String, meaning: String?) {
        if let s = stringValue { return ("\"" + s + "\"", nil) }
        if id == .flags, let v = integerValue {
            var bits = [String]()
            if v & 1 != 0 { bits.append("account authentication constrained") }
            if v & 2 != 0 { bits.append("MIC present") }
            if v & 4 != 0 { bits.append("SPN from untrusted source") }
            return ("0x" + hex(v, width: 8), bits.isEmpty ? nil : bits.joined(separator: ", "))
        }
        if id == .timestamp, let v = integerValue {
            return ("0x" + hex(v, width: 16), FileTime.describe(v))
        }
        return (summarize(value), nil)
    }

    public var description: String { "\(id.name)=\(rendered.value)" }
}

