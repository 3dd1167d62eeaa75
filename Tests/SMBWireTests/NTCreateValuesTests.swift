import Testing
@testable import SMBWire

/// The typed views of NT_CREATE_ANDX's disposition, options and access mask (issue 13, item 8).
@Suite struct NTCreateValuesTests {
    @Test func smbclientsOpenReadsAsTypedValues() throws {
        let packet = try Fixtures.named("ntlmssp-015-c2s-nt-create.bin")
        let request = try NTCreateAndXRequest.decodePacket(packet).value.body
        #expect(request.disposition == NTCreateDisposition(rawValue: request.createDisposition))
        #expect(request.options.rawValue == request.createOptions)
        #expect(request.access.rawValue == request.desiredAccess)
        // What smbclient sends for `get`: open an existing file to read it, nothing that modifies.
        #expect(request.disposition == .open && !request.disposition.mayCreate)
        #expect(request.access.isDisjoint(with: .modifying))
    }

    @Test func valuesMatchMSCIFS() {
        #expect([NTCreateDisposition.supersede, .open, .create, .openIf, .overwrite, .overwriteIf].map(\.rawValue)
                    == [0, 1, 2, 3, 4, 5])
        #expect(NTCreateDisposition(rawValue: 9).description == "disposition 9")
        #expect(NTCreateDisposition.openIf.mayCreate && NTCreateDisposition.create.mayCreate)
        #expect(!NTCreateDisposition.overwrite.mayCreate)
        #expect(NTCreateOptions.directoryFile.rawValue == 0x1 && NTCreateOptions.nonDirectoryFile.rawValue == 0x40
                    && NTCreateOptions.deleteOnClose.rawValue == 0x1000)
        // The rights the server's read-only shares refused before they had a name.
        #expect(FileAccessMask.modifying.rawValue == 0x500D_0156)
        #expect(AccessMask.describe(FileAccessMask([.readData, .synchronize]).rawValue) == "FILE_READ_DATA|SYNCHRONIZE")
    }
}
