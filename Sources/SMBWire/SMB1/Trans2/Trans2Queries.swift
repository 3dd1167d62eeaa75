/// Parameters of TRANS2_QUERY_PATH_INFORMATION (MS-CIFS 2.2.6.6.1).
public struct Trans2QueryPathInformationRequest: Equatable, Sendable {
    public var informationLevel: QueryInformationLevel
    public var reserved: UInt32
    /// Path relative to the share root, in the message's string encoding.
    public var fileName: String

    public init(informationLevel: QueryInformationLevel, reserved: UInt32 = 0, fileName: String) {
        self.informationLevel = informationLevel
        self.reserved = reserved
        self.fileName = fileName
    }

    /// Parses TRANS2 parameter bytes.
    public init(parameters: [UInt8], unicode: Bool) throws {
        var r = WireReader(parameters, prefix: "QueryPathInformation.", recordsSpans: false)
        self = try Self.decode(&r, unicode: unicode)
    }

    public func encodeParameters(unicode: Bool) -> [UInt8] {
        var w = WireWriter()
        w.u16(informationLevel.rawValue)
        w.u32(reserved)
        w.append(SMBString.encode(fileName, unicode: unicode))
        return w.bytes
    }

    /// A complete request with totals equal to the counts.
    public func request(unicode: Bool, maxParameterCount: UInt16 = 2, maxDataCount: UInt16 = 0xFFFF,
                        layout: Trans2Layout = Trans2Layout()) -> Trans2Request {
        Trans2Request(subcommand: .queryPathInformation, parameters: encodeParameters(unicode: unicode),
                      maxParameterCount: maxParameterCount, maxDataCount: maxDataCount, layout: layout)
    }

    static func decode(_ r: inout WireReader, unicode: Bool) throws -> Self {
        let level = QueryInformationLevel(try r.u16("InformationLevel", meaning: { QueryInformationLevel($0).description }))
        let reserved = try r.u32("Reserved")
        let (name, terminated) = try r.smbString("FileName", unicode: unicode)
        guard terminated, r.isAtEnd else {
            throw WireError.invalidValue(field: r.prefix + "FileName", reason: "must be one null-terminated string")
        }
        return Self(informationLevel: level, reserved: reserved, fileName: name)
    }
}

/// Parameters of TRANS2_QUERY_FILE_INFORMATION (MS-CIFS 2.2.6.8.1).
public struct Trans2QueryFileInformationRequest: Equatable, Sendable {
    public var fid: UInt16
    public var informationLevel: QueryInformationLevel

    public init(fid: UInt16, informationLevel: QueryInformationLevel) {
        self.fid = fid
        self.informationLevel = informationLevel
    }

    public init(parameters: [UInt8]) throws {
        var r = WireReader(parameters, prefix: "QueryFileInformation.", recordsSpans: false)
        self = try Self.decode(&r)
    }

    public func encodeParameters() -> [UInt8] {
        var w = WireWriter()
        w.u16(fid)
        w.u16(informationLevel.rawValue)
        return w.bytes
    }

    public func request(maxParameterCount: UInt16 = 2, maxDataCount: UInt16 = 0xFFFF,
                        layout: Trans2Layout = Trans2Layout()) -> Trans2Request {
        Trans2Request(subcommand: .queryFileInformation, parameters: encodeParameters(),
                      maxParameterCount: maxParameterCount, maxDataCount: maxDataCount, layout: layout)
    }

    static func decode(_ r: inout WireReader) throws -> Self {
        let fid = try r.u16("FID")
        let level = QueryInformationLevel(try r.u16("InformationLevel", meaning: { QueryInformationLevel($0).description }))
        guard r.isAtEnd else {
            throw WireError.invalidValue(field: r.prefix + "Parameters", reason: "\(r.remaining) unexpected bytes")
        }
        return Self(fid: fid, informationLevel: level)
    }
}

/// Parameters of TRANS2_GET_DFS_REFERRAL (MS-DFSC 2.2.2, carried in TRANS2): smbclient asks
/// for one when connecting to a share.
public struct Trans2GetDFSReferralRequest: Equatable, Sendable {
    public var maxReferralLevel: UInt16
    public var requestFileName: String

    public init(maxReferralLevel: UInt16 = 3, requestFileName: String) {
        self.maxReferralLevel = maxReferralLevel
        self.requestFileName = requestFileName
    }

    /// The referral request's file name is always UTF-16LE.
    public init(parameters: [UInt8]) throws {
        var r = WireReader(parameters, prefix: "GetDFSReferral.", recordsSpans: false)
        self = try Self.decode(&r)
    }

    public func encodeParameters() -> [UInt8] {
        var w = WireWriter()
        w.u16(maxReferralLevel)
        w.append(SMBString.encode(requestFileName, unicode: true))
        return w.bytes
    }

    static func decode(_ r: inout WireReader) throws -> Self {
        let level = try r.u16("MaxReferralLevel")
        let (name, terminated) = try r.smbString("RequestFileName", unicode: true)
        guard terminated, r.isAtEnd else {
            throw WireError.invalidValue(field: r.prefix + "RequestFileName", reason: "must be one null-terminated string")
        }
        return Self(maxReferralLevel: level, requestFileName: name)
    }
}

/// Response parameters of the QUERY_*_INFORMATION subcommands.
public struct Trans2QueryInformationResponseParameters: Equatable, Sendable {
    /// Offset of the offending EA when an EA list was bad; 0 otherwise.
    public var eaErrorOffset: UInt16
    public init(eaErrorOffset: UInt16 = 0) { self.eaErrorOffset = eaErrorOffset }

    public func encodeParameters() -> [UInt8] { [UInt8(truncatingIfNeeded: eaErrorOffset), UInt8(eaErrorOffset >> 8)] }

    /// A complete response carrying `information`.
    public func response(_ information: FileInformation, unicode: Bool) -> Trans2Response {
        Trans2Response(parameters: encodeParameters(), data: information.encode(unicode: unicode))
    }
}

/// Spans for the parameters and data inside a TRANS2 message, for the subcommands this codec
/// knows. Failures here only cost detail: the raw block gets one span instead.
enum Trans2Annotation {
    static func requestSpans(_ request: Trans2Request, parameters: Range<Int>, data: Range<Int>,
                             packet: [UInt8], unicode: Bool) -> [FieldSpan] {
        var r = WireReader(packet, offset: parameters.lowerBound, limit: parameters.upperBound,
                           prefix: "Trans2Request.Parameters.")
        var decoded = false
        switch request.subcommand {
        case .some(.queryPathInformation):
            r.prefix += "QueryPathInformation."
            decoded = (try? Trans2QueryPathInformationRequest.decode(&r, unicode: unicode)) != nil
        case .some(.queryFileInformation):
            r.prefix += "QueryFileInformation."
            decoded = (try? Trans2QueryFileInformationRequest.decode(&r)) != nil
        case .some(.getDFSReferral):
            r.prefix += "GetDFSReferral."
            decoded = (try? Trans2GetDFSReferralRequest.decode(&r)) != nil
        default:
            break
        }
        var spans = decoded ? r.spans : rawSpan("Trans2Request.Parameters", parameters, packet)
        spans += rawSpan("Trans2Request.Data", data, packet)
        return spans
    }

    static func responseSpans(parameters: Range<Int>, data: Range<Int>, packet: [UInt8], unicode: Bool,
                              request: Trans2RequestInfo?) -> [FieldSpan] {
        guard let request, request.subcommand == .queryFileInformation || request.subcommand == .queryPathInformation,
              let level = request.informationLevel else {
            return rawSpan("Trans2Response.Parameters", parameters, packet) + rawSpan("Trans2Response.Data", data, packet)
        }
        var spans: [FieldSpan] = []
        if parameters.count == 2 {
            let v = UInt16(packet[parameters.lowerBound]) | UInt16(packet[parameters.lowerBound + 1]) << 8
            spans.append(FieldSpan(range: parameters, name: "Trans2Response.Parameters.EaErrorOffset", value: "\(v)"))
        } else {
            spans += rawSpan("Trans2Response.Parameters", parameters, packet)
        }
        var r = WireReader(packet, offset: data.lowerBound, limit: data.upperBound,
                           prefix: "Trans2Response.Data.\(level.structureName).")
        if (try? FileInformation.decode(level: level, &r, unicode: unicode)) != nil {
            spans += r.spans
        } else {
            spans += rawSpan("Trans2Response.Data", data, packet)
        }
        return spans
    }

    static func rawSpan(_ name: String, _ range: Range<Int>, _ packet: [UInt8]) -> [FieldSpan] {
        range.isEmpty ? [] : [FieldSpan(range: range, name: name, value: summarize(Array(packet[range])))]
    }
}
