import Foundation
import Testing

/// Under CI every peer the interop tests need must be present; this says which one is not.
@Suite struct PeerSetupTests {
    @Test(.enabled(if: Peers.isCI)) func everyPeerIsAvailableUnderCI() {
        #expect(Peers.hasSamba, "CIFSTEP_SAMBA / CIFSTEP_SAMBA_SIGNED unset: scripts/test starts Samba")
        #expect(Peers.hasSmbclient, "smbclient missing: scripts/install-deps --test")
        #expect(Peers.hasTshark, "tshark missing: scripts/install-deps --test")
        #expect(Peers.hasPysmb, "pysmb missing: scripts/install-deps --test")
    }
}
