// Recorded by the stepped runtime as it was before the thread-to-thread hand-off (commit 8f0299e,
// controller woken for every event): the first 90 events and the decisions made up to them of
// `SteppedProgram(pageCount: 150)` with seed 1 and the seeded-random policy. The hand-off must not
// change a single decision or event, so that runs recorded then still replay.

enum PreHandoffRecording {
    static let seed: UInt64 = 1
    static let pageCount = 150

    /// `afterEvent:runnable>chosen`, one per decision, in order.
    static let decisions = """
        0:1>1 1:1,2,3,4>2 1:1,3,4>1 2:1,3,4>1 3:1,2,3,4>4 3:1,2,3>2 4:1,2,3>2 5:1,2,3>3
        5:1,2>2 6:1,2,3>1 7:1,2,3>2 7:1,3>1 8:1,3>1 9:1,2,3>1 10:1,2,3>2 11:1,2,3>3
        12:1,2,3>2 13:1,2,3>2 14:1,2,3>2 14:1,3>1 15:1,3>3 16:1,3>1 17:1,2,3>3 18:1,2,3,4>2
        19:1,2,3,4>1 20:1,2,3,4>1 21:1,2,3,4>2 22:1,2,3,4>4 23:1,2,3,4>3 24:1,2,3,4>4 25:1,2,3,4>3 26:1,2,3,4>4
        27:1,2,3,4>3 28:1,2,3,4>3 29:1,2,3,4>1 30:1,2,3,4>2 31:1,2,3,4>3 32:1,2,3,4>4 33:1,2,3,4>4 34:1,2,3,4>4
        35:1,2,3,4>2 36:1,2,3,4>4 36:1,2,3>2 37:1,2,3>2 38:1,2,3>1 39:1,2,3>1 40:1,2,3>2 40:1,3>3
        41:1,3>3 42:1,3>1 43:1,3>1 44:1,3>3 45:1,3,4>1 46:1,2,3,4>3 47:1,2,3,4>2 48:1,2,3,4>3
        49:1,2,3,4>3 50:1,2,3,4>3 51:1,2,3,4>4 52:1,2,3,4>4 53:1,2,3,4>3 54:1,2,3,4>3 54:1,2,4>1 55:1,2,4>4
        56:1,2,4>1 57:1,2,4>4 58:1,2,4>2 59:1,2,4>1 60:1,2,4>4 61:1,2,4>1 62:1,2,4>1 63:1,2,4>4
        64:1,2,4>4 64:1,2>2 65:1,2,3>3 66:1,2,3>3 67:1,2,3>1 68:1,2,3>1 69:1,2,3>1 70:1,2,3>2
        71:1,2,3>2 72:1,2,3>1 73:1,2,3>3 74:1,2,3,4>2 75:1,2,3,4>1 76:1,2,3,4>1 77:1,2,3,4>1 78:1,2,3,4>1
        79:1,2,3,4>4 80:1,2,3,4>2 81:1,2,3,4>1 82:1,2,3,4>2 83:1,2,3,4>3 84:1,2,3,4>2 85:1,2,3,4>3 86:1,2,3,4>1
        87:1,2,3,4>1 88:1,2,3,4>1 88:2,3,4>2 89:2,3,4>2
        """

    /// `time description | buffer=hex…`, one per event, in order.
    static let events = """
        0 #1 [1 reader] cifs_async_readv enter: page 0
        1000 #2 [1 reader] cifs_async_readv send: READ_ANDX mid 4293 {page[0].inflight false → true} | request=0000c51000000000000000000000000000000000000000000000000000000000
        2000 #3 [1 reader] cifs_async_readv exit
        3000 #4 [2 smbd] smb_read_andx enter: request
        4000 #5 [2 smbd] smb_read_andx receive: READ_ANDX | request=0000c51000000000000000000000000000000000000000000000000000000000
        5000 #6 [2 smbd] smb_read_andx exit: sent 64 bytes | reply=0000c5105a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        6000 #7 [1 reader] cifs_async_readv enter: page 1
        7000 #8 [1 reader] cifs_async_readv send: READ_ANDX mid 19690 {page[1].inflight false → true} | request=0100ea4c00000000000000000000000000000000000000000000000000000000
        8000 #9 [1 reader] cifs_async_readv exit
        9000 #10 [1 reader] cifs_async_readv enter: page 2
        10000 #11 [2 smbd] smb_read_andx enter: request
        11000 #12 [3 cifsd] cifs_demultiplex_thread enter: reply
        12000 #13 [2 smbd] smb_read_andx receive: READ_ANDX | request=0100ea4c00000000000000000000000000000000000000000000000000000000
        13000 #14 [2 smbd] smb_read_andx exit: sent 64 bytes | reply=0100ea4c5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        14000 #15 [1 reader] cifs_async_readv send: READ_ANDX mid 17684 {page[2].inflight false → true} | request=0200144500000000000000000000000000000000000000000000000000000000
        15000 #16 [3 cifsd] cifs_demultiplex_thread receive: READ_ANDX response | reply=0000c5105a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        16000 #17 [1 reader] cifs_async_readv exit
        17000 #18 [3 cifsd] cifs_demultiplex_thread wake: queue_work {cifsiod.pending 0 → 1}
        18000 #19 [2 smbd] smb_read_andx enter: request
        19000 #20 [1 reader] cifs_async_readv enter: page 3
        20000 #21 [1 reader] cifs_async_readv send: READ_ANDX mid 41895 {page[3].inflight false → true} | request=0300a7a300000000000000000000000000000000000000000000000000000000
        21000 #22 [2 smbd] smb_read_andx receive: READ_ANDX | request=0200144500000000000000000000000000000000000000000000000000000000
        22000 #23 [4 cifsiod] cifs_readv_complete enter: page 0
        23000 #24 [3 cifsd] cifs_demultiplex_thread exit
        24000 #25 [4 cifsiod] cifs_readv_complete wake: unlock_page {cifsiod.pending 1 → 0, page[0].inflight true → false, page[0].locked true → false}
        25000 #26 [3 cifsd] cifs_demultiplex_thread enter: reply
        26000 #27 [4 cifsiod] cifs_readv_complete exit
        27000 #28 [3 cifsd] cifs_demultiplex_thread receive: READ_ANDX response | reply=0100ea4c5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        28000 #29 [3 cifsd] cifs_demultiplex_thread wake: queue_work {cifsiod.pending 0 → 1}
        29000 #30 [1 reader] cifs_async_readv exit
        30000 #31 [2 smbd] smb_read_andx exit: sent 64 bytes | reply=020014455a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        31000 #32 [3 cifsd] cifs_demultiplex_thread exit
        32000 #33 [4 cifsiod] cifs_readv_complete enter: page 1
        33000 #34 [4 cifsiod] cifs_readv_complete wake: unlock_page {cifsiod.pending 1 → 0, page[1].inflight true → false, page[1].locked true → false}
        34000 #35 [4 cifsiod] cifs_readv_complete exit
        35000 #36 [2 smbd] smb_read_andx enter: request
        36000 #37 [2 smbd] smb_read_andx receive: READ_ANDX | request=0300a7a300000000000000000000000000000000000000000000000000000000
        37000 #38 [2 smbd] smb_read_andx exit: sent 64 bytes | reply=0300a7a35a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        38000 #39 [1 reader] lock_page_killable enter: page[0]
        39000 #40 [1 reader] lock_page_killable exit: page[0] uptodate | page=c5105a5a5a5a
        40000 #41 [3 cifsd] cifs_demultiplex_thread enter: reply
        41000 #42 [3 cifsd] cifs_demultiplex_thread receive: READ_ANDX response | reply=020014455a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        42000 #43 [1 reader] cifs_async_readv enter: page 4
        43000 #44 [1 reader] cifs_async_readv send: READ_ANDX mid 13939 {page[4].inflight false → true} | request=0400733600000000000000000000000000000000000000000000000000000000
        44000 #45 [3 cifsd] cifs_demultiplex_thread wake: queue_work {cifsiod.pending 0 → 1}
        45000 #46 [1 reader] cifs_async_readv exit
        46000 #47 [3 cifsd] cifs_demultiplex_thread exit
        47000 #48 [2 smbd] smb_read_andx enter: request
        48000 #49 [3 cifsd] cifs_demultiplex_thread enter: reply
        49000 #50 [3 cifsd] cifs_demultiplex_thread receive: READ_ANDX response | reply=0300a7a35a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        50000 #51 [3 cifsd] cifs_demultiplex_thread wake: queue_work {cifsiod.pending 1 → 2}
        51000 #52 [4 cifsiod] cifs_readv_complete enter: page 2
        52000 #53 [4 cifsiod] cifs_readv_complete wake: unlock_page {cifsiod.pending 2 → 1, page[2].inflight true → false, page[2].locked true → false}
        53000 #54 [3 cifsd] cifs_demultiplex_thread exit
        54000 #55 [1 reader] lock_page_killable enter: page[1]
        55000 #56 [4 cifsiod] cifs_readv_complete exit
        56000 #57 [1 reader] lock_page_killable exit: page[1] uptodate | page=ea4c5a5a5a5a
        57000 #58 [4 cifsiod] cifs_readv_complete enter: page 3
        58000 #59 [2 smbd] smb_read_andx receive: READ_ANDX | request=0400733600000000000000000000000000000000000000000000000000000000
        59000 #60 [1 reader] cifs_async_readv enter: page 5
        60000 #61 [4 cifsiod] cifs_readv_complete wake: unlock_page {cifsiod.pending 1 → 0, page[3].inflight true → false, page[3].locked true → false}
        61000 #62 [1 reader] cifs_async_readv send: READ_ANDX mid 42786 {page[5].inflight false → true} | request=050022a700000000000000000000000000000000000000000000000000000000
        62000 #63 [1 reader] cifs_async_readv exit
        63000 #64 [4 cifsiod] cifs_readv_complete exit
        64000 #65 [2 smbd] smb_read_andx exit: sent 64 bytes | reply=040073365a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        65000 #66 [3 cifsd] cifs_demultiplex_thread enter: reply
        66000 #67 [3 cifsd] cifs_demultiplex_thread receive: READ_ANDX response | reply=040073365a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        67000 #68 [1 reader] lock_page_killable enter: page[2]
        68000 #69 [1 reader] lock_page_killable exit: page[2] uptodate | page=14455a5a5a5a
        69000 #70 [1 reader] cifs_async_readv enter: page 6
        70000 #71 [2 smbd] smb_read_andx enter: request
        71000 #72 [2 smbd] smb_read_andx receive: READ_ANDX | request=050022a700000000000000000000000000000000000000000000000000000000
        72000 #73 [1 reader] cifs_async_readv send: READ_ANDX mid 4326 {page[6].inflight false → true} | request=0600e61000000000000000000000000000000000000000000000000000000000
        73000 #74 [3 cifsd] cifs_demultiplex_thread wake: queue_work {cifsiod.pending 0 → 1}
        74000 #75 [2 smbd] smb_read_andx exit: sent 64 bytes | reply=050022a75a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        75000 #76 [1 reader] cifs_async_readv exit
        76000 #77 [1 reader] lock_page_killable enter: page[3]
        77000 #78 [1 reader] lock_page_killable exit: page[3] uptodate | page=a7a35a5a5a5a
        78000 #79 [1 reader] cifs_async_readv enter: page 7
        79000 #80 [4 cifsiod] cifs_readv_complete enter: page 4
        80000 #81 [2 smbd] smb_read_andx enter: request
        81000 #82 [1 reader] cifs_async_readv send: READ_ANDX mid 59549 {page[7].inflight false → true} | request=07009de800000000000000000000000000000000000000000000000000000000
        82000 #83 [2 smbd] smb_read_andx receive: READ_ANDX | request=0600e61000000000000000000000000000000000000000000000000000000000
        83000 #84 [3 cifsd] cifs_demultiplex_thread exit
        84000 #85 [2 smbd] smb_read_andx exit: sent 64 bytes | reply=0600e6105a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
        85000 #86 [3 cifsd] cifs_demultiplex_thread enter: reply
        86000 #87 [1 reader] cifs_async_readv exit
        87000 #88 [1 reader] lock_page_killable enter: page[4]
        88000 #89 [2 smbd] smb_read_andx enter: request
        89000 #90 [2 smbd] smb_read_andx receive: READ_ANDX | request=07009de800000000000000000000000000000000000000000000000000000000
        """
}
