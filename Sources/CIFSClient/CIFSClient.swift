/// CIFSClient: a client core shaped like the Linux 3.8 cifs client (fs/cifs), running on
/// ``KernelRuntime`` so the stepper can drive it and `cifstep get` can run it at full speed.
///
/// Where each piece of the kernel lives here:
///
/// | kernel | here |
/// |---|---|
/// | `struct TCP_Server_Info`, `cifs_ses`, `cifs_tcon`, `cifsFileInfo`, `mid_q_entry` | ``ServerInfo``, ``Session``, ``TreeConnection``, ``OpenFile``, ``Mid`` |
/// | `cifs_demultiplex_thread`, `standard_receive3`, `checkSMB`, `dequeue_mid` | `Demultiplex/DemultiplexThread.swift` (the `cifsd` thread) |
/// | `cifs_reconnect`, `cifs_reconnect_tcon`, `cifs_negotiate_protocol` | `Demultiplex/Reconnect.swift` |
/// | `SendReceive`, `allocate_mid`, `wait_for_response`, `cifs_check_receive`, `cifs_call_async` | `Transport/SendReceive.swift` |
/// | `cifs_read_from_socket`, `cifs_discard_from_socket` | ``ReceivedFrame`` |
/// | `cifs_sign_smb`, `cifs_verify_signature` | `Signing/Signing.swift` |
/// | `CIFSSMBNegotiate`, `CIFS_SessSetup`, `CIFSTCon`, `CIFSSMBOpen`, `CIFSSMBQFileInfo`, `CIFSSMBRead`, `cifs_read`, `CIFSSMBClose`, `CIFSSMBTDis`, `CIFSSMBLogoff` | `SMB/` |
/// | `cifs_mount`, `cifs_umount` | ``CIFSMount`` |
///
/// Every one of those functions records tracepoints under its kernel name.
public enum CIFSClientInfo {}
