import SMBWire

/// Builds the data of QUERY_FILE/PATH_INFORMATION replies from a share entry, for the levels
/// smbclient, pysmb and the kernel use: the SMB_QUERY_FILE_* levels (0x101…0x109) and the
/// pass-through FileXxxInformation levels (1000 + class). Unknown levels: nil (the handler
/// answers STATUS_INVALID_LEVEL, as smbd does).
enum FileInformationEncoding {
    static let fileNameInformation = QueryInformationLevel(1009)
    static let fileAllInformation = QueryInformationLevel(1018)
    static let fileStreamInformation = QueryInformationLevel(1022)

    static func data(for entry: ShareEntry, level: QueryInformationLevel, unicode: Bool) -> [UInt8]? {
        let basic = FileBasicInfo(creationTime: entry.creationTime, lastAccessTime: entry.lastAccessTime,
                                  lastWriteTime: entry.lastWriteTime, changeTime: entry.changeTime,
                                  extFileAttributes: entry.extFileAttributes, reserved: 0)
        func standard(reserved: UInt16?) -> FileStandardInfo {
            FileStandardInfo(allocationSize: entry.allocationSize, endOfFile: entry.size, numberOfLinks: entry.linkCount,
                             deletePending: 0, directory: entry.isDirectory ? 1 : 0, reserved: reserved)
        }
        let information: FileInformation
        switch level {
        case .queryFileBasicInfo, .fileBasicInformation:
            information = .basic(basic)
        case .queryFileStandardInfo:
            information = .standard(standard(reserved: nil))  // 22 bytes (MS-CIFS 2.2.8.3.7)
        case .fileStandardInformation:
            information = .standard(standard(reserved: 0))  // 24 bytes (MS-FSCC 2.4.41)
        case .queryFileEAInfo, .fileEaInformation:
            information = .eaSize(0)
        case .queryFileAllInfo:
            information = .all(FileAllInfo(
                creationTime: entry.creationTime, lastAccessTime: entry.lastAccessTime,
                lastWriteTime: entry.lastWriteTime, changeTime: entry.changeTime,
                extFileAttributes: entry.extFileAttributes, allocationSize: entry.allocationSize,
                endOfFile: entry.size, numberOfLinks: entry.linkCount, directory: entry.isDirectory ? 1 : 0,
                fileName: entry.smbPath))
        case .fileInternalInformation:
            information = .internalInfo(indexNumber: entry.fileIndex)
        case .fileNetworkOpenInformation:
            information = .networkOpen(FileNetworkOpenInfo(
                creationTime: entry.creationTime, lastAccessTime: entry.lastAccessTime,
                lastWriteTime: entry.lastWriteTime, changeTime: entry.changeTime,
                allocationSize: entry.allocationSize, endOfFile: entry.size,
                fileAttributes: entry.extFileAttributes, reserved: 0))
        case .fileAttributeTagInformation:
            information = .attributeTag(fileAttributes: entry.extFileAttributes, reparseTag: 0)
        case .queryFileNameInfo, fileNameInformation:
            information = .raw(nameInformation(entry.smbPath, unicode: unicode))
        case .queryFileStreamInfo, fileStreamInformation:
            information = .raw(streamInformation(entry))
        case fileAllInformation:
            var w = WireWriter()
            w.append(FileInformation.basic(basic).encode(unicode: unicode))
            w.append(FileInformation.standard(standard(reserved: 0)).encode(unicode: unicode))
            w.u64(entry.fileIndex)  // FileInternalInformation
            w.u32(0)  // FileEaInformation
            w.u32(0x0012_0089)  // FileAccessInformation: the read access granted
            w.u64(0)  // FilePositionInformation
            w.u32(0)  // FileModeInformation
            w.u32(0)  // FileAlignmentInformation
            w.append(nameInformation(entry.smbPath, unicode: true))
            information = .raw(w.bytes)
        default:
            return nil
        }
        return information.encode(unicode: unicode)
    }

    /// FileNameLength (bytes) and the name, unterminated.
    private static func nameInformation(_ name: String, unicode: Bool) -> [UInt8] {
        let encoded = SMBString.encode(name, unicode: unicode, terminated: false)
        var w = WireWriter()
        w.u32(UInt32(truncatingIfNeeded: encoded.count))
        w.append(encoded)
        return w.bytes
    }

    /// One `::$DATA` stream for a file, none for a directory (MS-FSCC 2.4.43).
    private static func streamInformation(_ entry: ShareEntry) -> [UInt8] {
        guard !entry.isDirectory else { return [] }
        let name = SMBString.encode("::$DATA", unicode: true, terminated: false)
        var w = WireWriter()
        w.u32(0)  // NextEntryOffset
        w.u32(UInt32(name.count))
        w.u64(entry.size)
        w.u64(entry.allocationSize)
        w.append(name)
        return w.bytes
    }

    /// QUERY_FS_INFORMATION data (MS-CIFS 2.2.8.2, MS-FSCC 2.5) for a read-only share.
    static func fileSystemData(level: UInt16, capacity: ShareCapacity, volumeLabel: String,
                               creationTime: UInt64) -> [UInt8]? {
        var w = WireWriter()
        switch level {
        case 0x0102, 1001:  // SMB_QUERY_FS_VOLUME_INFO / FileFsVolumeInformation
            let label = SMBString.encode(volumeLabel, unicode: true, terminated: false)
            w.u64(creationTime)
            w.u32(0x4349_4653)  // serial number
            w.u32(UInt32(label.count))
            w.u16(0)  // Reserved (SupportsObjects + Reserved in the pass-through form)
            w.append(label)
        case 0x0103, 1003:  // SMB_QUERY_FS_SIZE_INFO / FileFsSizeInformation
            w.u64(capacity.totalUnits)
            w.u64(capacity.freeUnits)
            w.u32(capacity.sectorsPerUnit)
            w.u32(capacity.bytesPerSector)
        case 1007:  // FileFsFullSizeInformation
            w.u64(capacity.totalUnits)
            w.u64(capacity.freeUnits)
            w.u64(capacity.freeUnits)
            w.u32(capacity.sectorsPerUnit)
            w.u32(capacity.bytesPerSector)
        case 0x0104, 1004:  // SMB_QUERY_FS_DEVICE_INFO / FileFsDeviceInformation
            w.u32(0x0000_0007)  // FILE_DEVICE_DISK
            w.u32(0x0000_0001)  // FILE_READ_ONLY_DEVICE
        case 0x0105, 1005:  // SMB_QUERY_FS_ATTRIBUTE_INFO / FileFsAttributeInformation
            let name = SMBString.encode("NTFS", unicode: true, terminated: false)
            // FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK | FILE_READ_ONLY_VOLUME
            w.u32(0x0000_0002 | 0x0000_0004 | 0x0008_0000)
            w.u32(255)
            w.u32(UInt32(name.count))
            w.append(name)
        default:
            return nil
        }
        return w.bytes
    }
}

/// Sizes QUERY_FS_INFORMATION reports, in allocation units.
struct ShareCapacity: Equatable, Sendable {
    var totalUnits: UInt64
    var freeUnits: UInt64
    var sectorsPerUnit: UInt32 = 8
    var bytesPerSector: UInt32 = 512
}
