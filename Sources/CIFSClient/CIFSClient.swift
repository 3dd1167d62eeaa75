/// CIFSClient: a client core shaped like the Linux 3.8 cifs client (fs/cifs) and the part of
/// the VM it reads through (mm/), running on ``KernelRuntime`` so the stepper can drive it and
/// `cifstep get` can run it at full speed.
///
/// Where each piece of the kernel lives here:
///
/// | kernel | here |
/// |---|---|
/// | `struct TCP_Server_Info`, `cifs_ses`, `cifs_tcon`, `cifsFileInfo`, `mid_q_entry` | `State/`: ``ServerInfo``, ``Session``, ``TreeConnection``, ``OpenFile``, ``Mid`` |
/// | `cifs_mount`, `cifs_get_tcp_session`, `cifs_negotiate_rsize`, `cifs_put_tcp_session`, `cifs_umount` (connect.c) | `Mount/`: ``CIFSMount``, ``MountOptions`` |
/// | `cifs_demultiplex_thread`, `find_mid` (`cifs_find_mid`), `standard_receive3`, `checkSMB`, `dequeue_mid`, `clean_demultiplex_info` (connect.c, misc.c) | `Demultiplex/DemultiplexThread.swift` (the `cifsd` thread) |
/// | `cifs_reconnect`, `cifs_reconnect_tcon`, `cifs_negotiate_protocol`, `cifs_mark_open_files_invalid` | `Demultiplex/Reconnect.swift` |
/// | `SendReceive`, `wait_for_free_request`, `add_credits`, `allocate_mid`, `smb_send`, `wait_for_response`, `cifs_sync_mid_result`, `cifs_check_receive`, `DeleteMidQEntry`, `cifs_call_async` (transport.c) | `Transport/SendReceive.swift` |
/// | `cifs_read_from_socket`, `cifs_readv_from_socket`, `cifs_discard_from_socket` | `Transport/`: ``ReceivedFrame``, `SocketReader` (the per-page `cifs_readv_from_socket` frame of a traced read: `AsyncRead/ReadCompletion.swift`) |
/// | `cifs_sign_smb`, `cifs_calculate_signature` (3.8: `cifs_calc_signature`), `cifs_verify_signature` (cifsencrypt.c) | `Signing/Signing.swift` |
/// | `CIFSSMBNegotiate`, `CIFS_SessSetup`, `cifs_setup_session`, `setup_ntlm_response`, `setup_ntlmv2_rsp`, the NTLMSSP blobs, `calc_seckey`, `CIFSTCon`, `CIFSSMBOpen`, `CIFSSMBQFileInfo`, `cifs_reopen_file`, `CIFSSMBRead`, `cifs_read`, `CIFSSMBClose`, `CIFSSMBTDis`, `CIFSSMBLogoff` (cifssmb.c, sess.c, file.c) | `SMB/` |
/// | the page-cache read (file.c, cifssmb.c): `cifs_readpages`, `cifs_readdata_alloc`, `cifs_retry_async_readv`, `cifs_async_readv`, `cifs_readv_receive`, `cifs_readpages_read_into_pages`, `cifs_readv_discard`, `cifs_readv_callback`, `cifs_readv_complete`, `cifs_readpage`, and `generic_file_aio_read` as cifs calls it | `AsyncRead/`: ``CIFSReadOperations``, ``ReadData`` |
/// | `struct address_space`, `struct page`, `struct file_ra_state`, `address_space_operations` (include/linux) | `MM/`: ``PageCache``, ``Page``, ``FileReadaheadState``, ``AddressSpaceOperations`` |
/// | `find_get_page`, `add_to_page_cache_lru`, `add_to_page_cache_locked`, `lock_page_killable`, `unlock_page`, `SetPageUptodate`, `delete_from_page_cache`, `do_generic_file_read`, `file_read_actor` (mm/filemap.c), `lru_cache_add_file` (include/linux/swap.h) | `MM/PageCache.swift`, `MM/GenericFileRead.swift` |
/// | `page_cache_sync_readahead`, `page_cache_async_readahead`, `ondemand_readahead`, `__do_page_cache_readahead`, `read_pages` (mm/readahead.c) | `MM/Readahead.swift` |
/// | `cifsiod_wq`: `alloc_workqueue`, `queue_work`, `process_one_work` (kernel/workqueue.c) | ``KernelRuntime/WorkQueue`` in KernelRuntime |
///
/// Each of those functions is a traced frame under its kernel name (the 2013 posts' name where
/// they quote an older one): an `enter` event, the events of its body, an `exit`. The
/// catalogue of every traced name, with its kernel source file, is
/// `Sources/Stepper/Catalogue/client-tracepoints.json`.
public enum CIFSClientInfo {}
