import Testing
@testable import SMBWire

@Suite struct HexTests {
    @Test func roundTrip() {
        let bytes: [UInt8] = [0x00, 0x01, 0xab, 0xff]
        #expect(Hex.encode(bytes) == "0001abff")
        #expect(Hex.decode("0001abff") == bytes)
        #expect(Hex.decode("0x00 01:AB ff") == bytes)
    }

    @Test func rejectsBadHex() {
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func readerThrowsOnShortBuffer() {
        var r = WireReader([0x01, 0x02, 0x03])
        #expect(throws: WireError.self) { _ = try r.u32("x") }
        #expect(r.offset == 0)
        #expect((try? r.u16("y")) == 0x0201)
        #expect(r.spans.map(\.range) == [0..<2])
    }
}
