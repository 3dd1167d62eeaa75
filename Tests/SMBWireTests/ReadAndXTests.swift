import Testing
@testable import SMBWire

@Suite struct ReadAndXTests {
    @Test func dataIsASliceOfThePacketNotACopy() throws {
        let packet = try Fixtures.named("ntlmssp-020-s2c-read.bin")
        let decoded = try ReadAndXResponse.decodePacket(packet, recordsSpans: false)
        let response = decoded.value.body
        #expect(decoded.spans.isEmpty)
        #expect(response.dataRange == 60..<93)
        #expect(response.dataBytes == Array("Hello from the SMB1 interop lab!\n".utf8))
        let packetBase = try #require(packet.withUnsafeBufferPointer { $0.baseAddress })
        let dataBase = try #require(response.data.withUnsafeBufferPointer { $0.baseAddress })
        #expect(dataBase == packetBase + 60)
    }

    @Test func largeReadUsesDataLengthHighAndTruncatedByteCount() throws {
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let response = ReadAndXResponse(available: 0xFFFF, data: payload[...])
        let bytes = try response.encodePacket(header: TestHeaders.response(.readAndX))
        #expect(bytes.count == 60 + 200_000)
        #expect(Int(bytes[43]) | Int(bytes[44]) << 8 == 200_000 & 0xFFFF)  // DataLength
        #expect(Int(bytes[47]) | Int(bytes[48]) << 8 == 200_000 >> 16)     // DataLengthHigh
        #expect(Int(bytes[57]) | Int(bytes[58]) << 8 == 200_001 & 0xFFFF)  // ByteCount, truncated
        let decoded = try ReadAndXResponse.decodePacket(bytes)
        #expect(decoded.value.body.dataRange == 60..<200_060)
        #expect(decoded.value.body.layout == ReadAndXResponse.DataLayout())
        #expect(decoded.value.body.data.elementsEqual(payload))
        #expect(try decoded.value.encode() == bytes)
        let generic = try SMBMessage.decode(bytes)
        #expect(generic.value.trailing.isEmpty)
        #expect(try generic.value.encode() == bytes)
        #expect(span(decoded.spans, "ReadAndXResponse.DataLengthHigh")?.meaning == "large read: 3 × 65536 more bytes")
    }

    @Test func byteCountQuirksAreKept() throws {
        // A server that puts 0 in ByteCount of a large read.
        let payload = [UInt8](repeating: 0x42, count: 70_000)
        let response = ReadAndXResponse(data: payload[...], layout: .init(byteCount: 0))
        let bytes = try assertRoundTrip(response)
        #expect(bytes[57] == 0 && bytes[58] == 0)
    }

    @Test func locatesDataFromTheFixedPart() throws {
        let packet = try Fixtures.named("ntlmssp-020-s2c-read.bin")
        let fixed = Array(packet.prefix(ReadAndXResponse.fixedPartSize))
        let (header, range) = try ReadAndXResponse.locateData(fixedPart: fixed, messageLength: packet.count)
        #expect(header.mid == 9 && range == 60..<93)
        #expect(throws: WireError.outOfRange(field: "ReadAndXResponse.DataOffset", offset: 60, length: 33, limit: 92)) {
            _ = try ReadAndXResponse.locateData(fixedPart: fixed, messageLength: 92)
        }
        #expect(throws: WireError.truncated(field: "ReadAndXResponse.FixedPart", needed: 59, available: 50)) {
            _ = try ReadAndXResponse.locateData(fixedPart: Array(fixed.prefix(50)), messageLength: packet.count)
        }
        let request = try Fixtures.named("ntlmssp-019-c2s-read.bin")
        #expect(throws: WireError.invalidValue(field: "header.Command", reason: "not a READ_ANDX response")) {
            _ = try ReadAndXResponse.locateData(fixedPart: Array(request.prefix(59)), messageLength: request.count)
        }
    }

    @Test func dataOffsetOutsideThePacketOrIntoTheWordsIsRejected() throws {
        var packet = try Fixtures.named("ntlmssp-020-s2c-read.bin")
        packet[45] = 100  // DataOffset 100 > 93 - 33
        #expect(throws: WireError.outOfRange(field: "ReadAndXResponse.DataOffset", offset: 100, length: 33, limit: 93)) {
            _ = try ReadAndXResponse.decodePacket(packet)
        }
        packet[45] = 40  // into the parameter words
        #expect(throws: WireError.outOfRange(field: "ReadAndXResponse.DataOffset", offset: 40, length: 33, limit: 93)) {
            _ = try ReadAndXResponse.decodePacket(packet)
        }
        packet[45] = 60
        packet[47] = 1  // DataLengthHigh: 65536 more bytes than the packet has
        #expect(throws: WireError.outOfRange(field: "ReadAndXResponse.DataOffset", offset: 60, length: 65_569, limit: 93)) {
            _ = try ReadAndXResponse.decodePacket(packet)
        }
    }
}

@Suite struct FileInformationTests {
    static let t: UInt64 = 0x01D9_0000_1234_5678

    @Test(arguments: [true, false]) func levelsRoundTrip(unicode: Bool) throws {
        let cases: [(QueryInformationLevel, FileInformation, Int?)] = [
            (.queryFileBasicInfo, .basic(FileBasicInfo(creationTime: Self.t, lastAccessTime: 1, lastWriteTime: 2,
                                                       changeTime: 3, extFileAttributes: 0x20)), 40),
            (.fileBasicInformation, .basic(FileBasicInfo(creationTime: Self.t, lastAccessTime: 1, lastWriteTime: 2,
                                                         changeTime: 3, extFileAttributes: 0x20, reserved: nil)), 36),
            (.queryFileStandardInfo, .standard(FileStandardInfo(allocationSize: 4096, endOfFile: 33, numberOfLinks: 1)), 24),
            (.fileStandardInformation, .standard(FileStandardInfo(allocationSize: 0, endOfFile: 0, numberOfLinks: 2,
                                                                  deletePending: 1, directory: 1, reserved: nil)), 22),
            (.queryFileAllInfo, .all(FileAllInfo(creationTime: 1, lastAccessTime: 2, lastWriteTime: 3, changeTime: 4,
                                                 extFileAttributes: 0x80, allocationSize: 4096, endOfFile: 33,
                                                 numberOfLinks: 1, fileName: #"\dir\file.bin"#)), nil),
            (.fileNetworkOpenInformation, .networkOpen(FileNetworkOpenInfo(creationTime: 1, lastAccessTime: 2, lastWriteTime: 3,
                                                                           changeTime: 4, allocationSize: 5, endOfFile: 6,
                                                                           fileAttributes: 0x80)), 56),
            (.fileInternalInformation, .internalInfo(indexNumber: 0xABCDEF), 8),
            (.queryFileEAInfo, .eaSize(0), 4),
            (.fileEaInformation, .eaSize(12), 4),
            (.fileAttributeTagInformation, .attributeTag(fileAttributes: 0x80, reparseTag: 0), 8),
            (QueryInformationLevel(0x0200), .raw(Array(0..<100)), 100),
        ]
        for (level, info, size) in cases {
            let bytes = info.encode(unicode: unicode)
            if let size { #expect(bytes.count == size, "\(level)") }
            var r = WireReader(bytes, prefix: "X.")
            #expect(try FileInformation.decode(level: level, &r, unicode: unicode) == info, "\(level)")
            assertSpansCover(r.spans, count: bytes.count)
        }
        let all = FileInformation.all(FileAllInfo(creationTime: 1, lastAccessTime: 2, lastWriteTime: 3, changeTime: 4,
                                                  extFileAttributes: 0, allocationSize: 0, endOfFile: 0, numberOfLinks: 1,
                                                  fileName: "ab"))
        #expect(all.encode(unicode: unicode).count == 72 + (unicode ? 4 : 2))
    }

    @Test func malformedInformationIsAnError() throws {
        var r = WireReader([UInt8](repeating: 0, count: 41))
        #expect(throws: WireError.invalidValue(field: "Data", reason: "1 bytes after SMB_QUERY_FILE_BASIC_INFO")) {
            _ = try FileInformation.decode(level: .queryFileBasicInfo, &r, unicode: true)
        }
        var all = FileInformation.all(FileAllInfo(creationTime: 1, lastAccessTime: 2, lastWriteTime: 3, changeTime: 4,
                                                  extFileAttributes: 0, allocationSize: 0, endOfFile: 0, numberOfLinks: 1,
                                                  fileName: "name")).encode(unicode: true)
        all[68] = 100  // FileNameLength beyond the data
        r = WireReader(all)
        #expect(throws: WireError.outOfRange(field: "FileName", offset: 72, length: 100, limit: 80)) {
            _ = try FileInformation.decode(level: .queryFileAllInfo, &r, unicode: true)
        }
        all[68] = 7  // odd length of UTF-16
        r = WireReader(all)
        #expect(throws: WireError.self) { _ = try FileInformation.decode(level: .queryFileAllInfo, &r, unicode: true) }
        r = WireReader([1, 2, 3])
        #expect(throws: WireError.truncated(field: "IndexNumber", needed: 8, available: 3)) {
            _ = try FileInformation.decode(level: .fileInternalInformation, &r, unicode: true)
        }
    }

    @Test func trans2ResponseDataIsAnnotatedWithTheRequestedLevel() throws {
        let info = FileInformation.standard(FileStandardInfo(allocationSize: 8192, endOfFile: 5000, numberOfLinks: 1))
        let response = Trans2QueryInformationResponseParameters().response(info, unicode: true)
        let bytes = try response.encodePacket(header: TestHeaders.response(.transaction2))
        let request = Trans2QueryFileInformationRequest(fid: 3, informationLevel: .queryFileStandardInfo).request()
        let context = request.info(unicode: true)
        #expect(context == Trans2RequestInfo(subcommand: .queryFileInformation, informationLevel: .queryFileStandardInfo))
        let annotated = SMBMessage.annotate(bytes, trans2Request: context)
        #expect(span(annotated.spans, "Trans2Response.Data.FileStandardInfo.EndOfFile")?.meaning == "5000 bytes")
        #expect(span(annotated.spans, "Trans2Response.Parameters.EaErrorOffset")?.value == "0")
        let bare = SMBMessage.annotate(bytes)
        #expect(span(bare.spans, "Trans2Response.Data")?.range.count == 24)
        #expect(try Trans2Response.decodePacket(bytes).value.body.queryInformation(level: .queryFileStandardInfo,
                                                                                   unicode: true) == info)
    }

    @Test func queryRequestsParseTheirParameters() throws {
        let path = Trans2QueryPathInformationRequest(informationLevel: .queryFileAllInfo, fileName: #"\x\y"#)
        for unicode in [true, false] {
            let request = path.request(unicode: unicode)
            #expect(request.subcommand == .queryPathInformation)
            #expect(try Trans2QueryPathInformationRequest(parameters: request.parameters, unicode: unicode) == path)
            #expect(request.info(unicode: unicode)?.informationLevel == .queryFileAllInfo)
            let bytes = try request.encodePacket(header: TestHeaders.request(.transaction2, unicode: unicode))
            let decoded = try Trans2Request.decodePacket(bytes)
            #expect(span(decoded.spans, "Trans2Request.Parameters.QueryPathInformation.FileName")?.value == #""\x\y""#)
            #expect(span(decoded.spans, "Trans2Request.Setup[0]")?.meaning == "TRANS2_QUERY_PATH_INFORMATION")
        }
        #expect(throws: WireError.self) { _ = try Trans2QueryFileInformationRequest(parameters: [1, 2, 3]) }
        #expect(throws: WireError.self) { _ = try Trans2QueryFileInformationRequest(parameters: [1, 2, 3, 4, 5]) }
        #expect(throws: WireError.self) { _ = try Trans2QueryPathInformationRequest(parameters: [1, 1, 0, 0, 0, 0, 65], unicode: false) }
        let dfs = try Trans2GetDFSReferralRequest(parameters: Trans2GetDFSReferralRequest(requestFileName: #"\a\b"#).encodeParameters())
        #expect(dfs.requestFileName == #"\a\b"# && dfs.maxReferralLevel == 3)
        #expect(Trans2Subcommand(0x10).description == "TRANS2_GET_DFS_REFERRAL")
        #expect(QueryInformationLevel(1034).name == "FileNetworkOpenInformation (pass-through)")
    }
}
