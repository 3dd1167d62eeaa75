import Testing
@testable import SMBWire

@Suite struct TmpDump {
    @Test func dump() throws {
        for name in ["oldstyle-ntlm-002-s2c-negotiate.bin", "ntlmssp-008-s2c-tree-connect.bin", "ntlmssp-018-s2c-trans2.bin", "ntlmssp-020-s2c-read.bin", "ntlmssp-015-c2s-nt-create.bin", "ntlmssp-010-s2c-trans2.bin"] {
            let bytes = try Fixtures.named(name)
            let ctx = Fixtures.trans2Context(for: Fixtures.all.first { $0.name == name }!)
            let a = SMBMessage.annotate(bytes, trans2Request: ctx)
            print("=== \(name): \(a.value.title)")
            for s in a.spans { print("  \(s)") }
        }
    }
}
