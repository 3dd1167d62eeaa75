import Testing
@testable import SMBWire

@Suite struct HeaderTests {
    static let sample = SMBHeader(command: .readAndX, status: .bufferOverflow, flags: [.caseInsensitive, .reply],
                                  flags2: [.longNames, .ntStatus, .unicode, .securitySignature], pidHigh: 0x0102,
                                  signature: [1, 2, 3, 4, 5, 6, 7, 8], reserved: 0x0304, tid: 0x0506,
                                  pidLow: 0x0708, uid: 0x090A, mid: 0x0B0C)

    @Test func encodesExactBytes() throws {
        let bytes = try Self.sample.encode()
        #expect(Hex.encode(bytes) == "ff534d42" + "2e" + "05000080" + "88" + "05c0" + "0201"
                + "0102030405060708" + "0403" + "0605" + "0807" + "0a09" + "0c0b")
        #expect(bytes.count == SMBHeader.size)
        #expect(Array(bytes[SMBHeader.signatureRange]) == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func decodesWithSpansForEveryField() throws {
        var r = WireReader(try Self.sample.encode())
        let header = try SMBHeader.decode(&r)
        #expect(header == Self.sample)
        #expect(header.pid == 0x0102_0708)
        #expect(header.isResponse && header.isUnicode)
        #expect(r.spans.map(\.name) == ["header.Protocol", "header.Command", "header.Status", "header.Flags",
                                         "header.Flags2", "header.PIDHigh", "header.SecuritySignature",
                                         "header.Reserved", "header.TID", "header.PIDLow", "header.UID", "header.MID"])
        #expect(r.spans.map(\.range.count).reduce(0, +) == 32)
        let meaning = Dictionary(uniqueKeysWithValues: r.spans.map { ($0.name, $0.meaning ?? "") })
        #expect(meaning["header.Status"] == "STATUS_BUFFER_OVERFLOW")
        #expect(meaning["header.Flags"] == "CASE_INSENSITIVE|REPLY")
        #expect(meaning["header.Flags2"] == "LONG_NAMES|SMB_SECURITY_SIGNATURE|NT_STATUS|UNICODE")
        #expect(meaning["header.Command"] == "SMB_COM_READ_ANDX")
    }

    @Test func dosErrorsAreDescribedWhenNTStatusIsOff() throws {
        var h = SMBHeader(command: .close, status: NTStatus(0x0006_0001), flags: .reply)
        var r = WireReader(try h.encode())
        _ = try SMBHeader.decode(&r)
        #expect(r.spans[2].meaning == "DOS error ERRDOS code 6 = STATUS_SMB_BAD_FID")
        h.flags2 = .ntStatus
        r = WireReader(try h.encode())
        _ = try SMBHeader.decode(&r)
        #expect(r.spans[2].meaning == "STATUS_SMB_BAD_FID")
    }

    @Test func rejectsBadMagicAndShortHeaders() throws {
        var bytes = try Self.sample.encode()
        bytes[0] = 0xFE
        #expect(throws: WireError.invalidValue(field: "header.Protocol", reason: "expected ff534d42, got fe534d42")) {
            _ = try SMBHeader.peek(bytes)
        }
        #expect(throws: WireError.truncated(field: "header.MID", needed: 2, available: 1)) {
            _ = try SMBHeader.peek(Array(try Self.sample.encode().prefix(31)))
        }
        var bad = Self.sample
        bad.signature = [1, 2, 3]
        #expect(throws: WireError.self) { _ = try bad.encode() }
    }

    @Test func flagNamesCoverEveryBit() {
        #expect(SMBFlags(rawValue: 0xFF).names.count == 8)
        #expect(SMBFlags2(rawValue: 0xFFFF).names == [
            "LONG_NAMES", "EAS", "SMB_SECURITY_SIGNATURE", "COMPRESSED", "SMB_SECURITY_SIGNATURE_REQUIRED",
            "IS_LONG_NAME", "REPARSE_PATH", "EXTENDED_SECURITY", "DFS", "PAGING_IO", "NT_STATUS", "UNICODE", "0x3a0",
        ])
        #expect(SMBFlags2(rawValue: 0).summary == "none")
        #expect(SMBFlags2(names: ["UNICODE", "NT_STATUS"]) == [.unicode, .ntStatus])
        #expect(SMBFlags2(names: ["NOPE"]) == nil)
        #expect(SMBCapabilities(rawValue: 0x8080_F3FC).summary
                == "UNICODE|LARGE_FILES|NT_SMBS|RPC_REMOTE_APIS|STATUS32|LEVEL_II_OPLOCKS|LOCK_AND_READ|NT_FIND|DFS|INFOLEVEL_PASSTHRU|LARGE_READX|LARGE_WRITEX|UNIX|EXTENDED_SECURITY")
        #expect(SMBCapabilities.bitNames.count == 20)
        #expect(SMBSecurityMode(rawValue: 0x0F).summary
                == "USER_SECURITY|ENCRYPT_PASSWORDS|SECURITY_SIGNATURES_ENABLED|SECURITY_SIGNATURES_REQUIRED")
    }

    @Test func commandNames() {
        #expect(SMBCommand.readAndX.name == "READ_ANDX")
        #expect(SMBCommand(0x72).description == "SMB_COM_NEGOTIATE")
        #expect(SMBCommand(0x99).name == "0x99")
        #expect(SMBCommand(name: "SMB_COM_TRANSACTION2") == .transaction2)
        #expect(SMBCommand(name: "TREE_CONNECT_ANDX") == .treeConnectAndX)
        #expect(SMBCommand.sessionSetupAndX.isAndX && !SMBCommand.negotiate.isAndX)
    }
}

@Suite struct NTStatusTests {
    @Test func namesAndLookup() {
        #expect(NTStatus.logonFailure.name == "STATUS_LOGON_FAILURE")
        #expect(NTStatus.logonFailure.rawValue == 0xC000_006D)
        #expect(NTStatus(name: "STATUS_MORE_PROCESSING_REQUIRED") == NTStatus(0xC000_0016))
        #expect(NTStatus(name: "BAD_NETWORK_NAME") == .badNetworkName)
        #expect(NTStatus(name: "STATUS_NO_SUCH_THING") == nil)
        #expect(NTStatus(0xC0DE_0001).name == "0xc0de0001")
        #expect(NTStatus.smbBadTID.name == "STATUS_SMB_BAD_TID")
    }

    @Test func everyRequiredCodeHasItsValue() {
        let expected: [(NTStatus, UInt32, String)] = [
            (.success, 0, "SUCCESS"), (.moreProcessingRequired, 0xC000_0016, "MORE_PROCESSING_REQUIRED"),
            (.logonFailure, 0xC000_006D, "LOGON_FAILURE"), (.accessDenied, 0xC000_0022, "ACCESS_DENIED"),
            (.invalidParameter, 0xC000_000D, "INVALID_PARAMETER"), (.notSupported, 0xC000_00BB, "NOT_SUPPORTED"),
            (.objectNameNotFound, 0xC000_0034, "OBJECT_NAME_NOT_FOUND"),
            (.objectPathNotFound, 0xC000_003A, "OBJECT_PATH_NOT_FOUND"), (.noSuchFile, 0xC000_000F, "NO_SUCH_FILE"),
            (.endOfFile, 0xC000_0011, "END_OF_FILE"), (.invalidHandle, 0xC000_0008, "INVALID_HANDLE"),
            (.badNetworkName, 0xC000_00CC, "BAD_NETWORK_NAME"), (.networkNameDeleted, 0xC000_00C9, "NETWORK_NAME_DELETED"),
            (.userSessionDeleted, 0xC000_0203, "USER_SESSION_DELETED"), (.invalidSMB, 0x0001_0002, "INVALID_SMB"),
            (.smbBadTID, 0x0005_0002, "SMB_BAD_TID"), (.smbBadUID, 0x005B_0002, "SMB_BAD_UID"),
            (.smbBadFID, 0x0006_0001, "SMB_BAD_FID"), (.smbBadCommand, 0x0016_0002, "SMB_BAD_COMMAND"),
            (.notImplemented, 0xC000_0002, "NOT_IMPLEMENTED"), (.fileIsADirectory, 0xC000_00BA, "FILE_IS_A_DIRECTORY"),
            (.notADirectory, 0xC000_0103, "NOT_A_DIRECTORY"), (.insufficientResources, 0xC000_009A, "INSUFFICIENT_RESOURCES"),
            (.ioTimeout, 0xC000_00B5, "IO_TIMEOUT"), (.internalError, 0xC000_00E5, "INTERNAL_ERROR"),
            (.bufferOverflow, 0x8000_0005, "BUFFER_OVERFLOW"), (.accountDisabled, 0xC000_0072, "ACCOUNT_DISABLED"),
            (.passwordExpired, 0xC000_0071, "PASSWORD_EXPIRED"), (.wrongPassword, 0xC000_006A, "WRONG_PASSWORD"),
            (.noSuchUser, 0xC000_0064, "NO_SUCH_USER"), (.objectNameInvalid, 0xC000_0033, "OBJECT_NAME_INVALID"),
            (.objectNameCollision, 0xC000_0035, "OBJECT_NAME_COLLISION"), (.sharingViolation, 0xC000_0043, "SHARING_VIOLATION"),
            (.deletePending, 0xC000_0056, "DELETE_PENDING"), (.invalidDeviceRequest, 0xC000_0010, "INVALID_DEVICE_REQUEST"),
            (.diskFull, 0xC000_007F, "DISK_FULL"), (.mediaWriteProtected, 0xC000_00A2, "MEDIA_WRITE_PROTECTED"),
        ]
        for (status, raw, name) in expected {
            #expect(status.rawValue == raw, "\(name)")
            #expect(status.name == "STATUS_" + name)
            #expect(NTStatus(name: name) == status)
        }
        for status in NTStatus.allKnown { #expect(NTStatus(name: status.name) == status) }
    }

    @Test func severity() {
        #expect(NTStatus.logonFailure.isError)
        #expect(!NTStatus.bufferOverflow.isError && NTStatus.bufferOverflow.severity == 2)
        #expect(NTStatus.success.isSuccess && !NTStatus.success.isError)
    }
}

@Suite struct FileTimeTests {
    @Test func describesDates() {
        #expect(FileTime.describe(0x01DD_7D85_E134_771E) == "2026-11-26 09:09:45.3417246 UTC")
        #expect(FileTime.describe(0x01C0_0000_0000_0000) == "2000-08-06 23:42:36.6373888 UTC")
        #expect(FileTime.describe(0x0300_0000_0000_0000) == "2286-01-09 23:30:11.3783808 UTC")
        #expect(FileTime.describe(1) == "1601-01-01 00:00:00.0000001 UTC")
        #expect(FileTime.describe(0) == "not set")
        #expect(FileTime.describe(FileTime.unixEpoch) == "1970-01-01 00:00:00.0000000 UTC")
        // 2024-02-29 12:00:00 UTC is Unix 1709208000.
        #expect(FileTime.describe(FileTime.from(unixSeconds: 1_709_208_000)) == "2024-02-29 12:00:00.0000000 UTC")
        #expect(FileTime.unixSeconds(FileTime.from(unixSeconds: 1_709_208_000, nanoseconds: 500)) == 1_709_208_000)
    }
}
