extension LinkType {
    /// The link type a capture file's LINKTYPE_ value stands for, as libpcap reports it on Linux
    /// (`linktype_to_dlt`): the few LINKTYPE_ values that differ from their DLT_ value are mapped
    /// (LINKTYPE_RAW 101 is DLT_RAW 12), every other value is the same number.
    init(fileValue: UInt32) {
        switch fileValue {
        case 100: self.init(rawValue: 11)   // ATM_RFC1483
        case 101: self = .raw
        case 102: self.init(rawValue: 13)   // SLIP_BSDOS
        case 103: self.init(rawValue: 14)   // PPP_BSDOS
        case 106: self.init(rawValue: 19)   // ATM_CLIP
        default: self.init(rawValue: Int32(truncatingIfNeeded: fileValue))
        }
    }

    /// The value a capture file records for this link type (the inverse of `init(fileValue:)`:
    /// libpcap's DLT numbers that differ from their LINKTYPE).
    var fileValue: UInt32 {
        switch rawValue {
        case 11: 100
        case 12: 101
        case 13: 102
        case 14: 103
        case 19: 106
        default: UInt32(truncatingIfNeeded: rawValue)
        }
    }

    /// The most bytes of one packet any capture of this link type holds (libpcap's
    /// MAXIMUM_SNAPLEN; the link types with larger limits — D-Bus, USBPcap — are not decoded
    /// here). A snapshot length of 0 or beyond it means "this much"; a classic pcap record
    /// claiming more is damage, not a packet.
    static let maximumSnapshotLength = 262_144
}
