/// Writes pcap and pcapng files byte by byte, for tests: every field where the formats put it,
/// in the byte order asked for, so a test can also write what no tool would (wrong lengths,
/// unknown interfaces, cut blocks).
struct CaptureFileBuilder {
    enum Order { case big, little }

    var order: Order
    var bytes: [UInt8] = []

    init(order: Order = .little) { self.order = order }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { integer(value) }
    mutating func u32(_ value: UInt32) { integer(value) }
    mutating func u64(_ value: UInt64) { integer(value) }

    private mutating func integer<T: FixedWidthInteger>(_ value: T) {
        let size = T.bitWidth / 8
        for index in 0..<size {
            let shift = order == .big ? (size - 1 - index) * 8 : index * 8
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }
    mutating func raw(_ data: [UInt8]) { bytes.append(contentsOf: data) }
    mutating func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }

    // MARK: Classic pcap

    mutating func pcapHeader(nanoseconds: Bool = false, snaplen: UInt32 = 65535, linkType: UInt32 = 1,
                             major: UInt16 = 2, minor: UInt16 = 4) {
        u32(nanoseconds ? 0xa1b2_3c4d : 0xa1b2_c3d4)
        u16(major)
        u16(minor)
        u32(0)
        u32(0)
        u32(snaplen)
        u32(linkType)
    }

    mutating func pcapRecord(seconds: UInt32, fraction: UInt32, data: [UInt8], originalLength: UInt32? = nil,
                             capturedLength: UInt32? = nil) {
        u32(seconds)
        u32(fraction)
        u32(capturedLength ?? UInt32(data.count))
        u32(originalLength ?? UInt32(data.count))
        raw(data)
    }

    // MARK: pcapng

    struct Option {
        var code: UInt16
        var value: [UInt8]
        static func comment(_ text: String) -> Option { Option(code: 1, value: Array(text.utf8)) }
        static func tsresol(_ byte: UInt8) -> Option { Option(code: 9, value: [byte]) }
        static let end = Option(code: 0, value: [])
    }

    /// One block: type, total length, `body` (padded), options, total length again.
    /// `totalLength`/`trailerLength` override the computed length (to write damaged blocks).
    mutating func block(_ type: UInt32, totalLength: UInt32? = nil, trailerLength: UInt32? = nil,
                        options: [Option] = [], _ body: (inout CaptureFileBuilder) -> Void) {
        var inner = CaptureFileBuilder(order: order)
        body(&inner)
        inner.pad()
        for option in options {
            inner.u16(option.code)
            inner.u16(UInt16(option.value.count))
            inner.raw(option.value)
            inner.pad()
        }
        let length = UInt32(inner.bytes.count + 12)
        u32(type)
        u32(totalLength ?? length)
        raw(inner.bytes)
        u32(trailerLength ?? totalLength ?? length)
    }

    mutating func sectionHeader(options: [Option] = []) {
        block(0x0a0d_0d0a, options: options) { b in
            b.u32(0x1a2b_3c4d)
            b.u16(1)
            b.u16(0)
            b.u64(UInt64.max)  // section length unknown
        }
    }

    mutating func interface(linkType: UInt16, snaplen: UInt32 = 0, options: [Option] = []) {
        block(1, options: options) { b in
            b.u16(linkType)
            b.u16(0)
            b.u32(snaplen)
        }
    }

    mutating func enhancedPacket(interface: UInt32, timestamp: UInt64, data: [UInt8], originalLength: UInt32? = nil,
                                 capturedLength: UInt32? = nil, options: [Option] = []) {
        block(6, options: options) { b in
            b.u32(interface)
            b.u32(UInt32(timestamp >> 32))
            b.u32(UInt32(timestamp & 0xffff_ffff))
            b.u32(capturedLength ?? UInt32(data.count))
            b.u32(originalLength ?? UInt32(data.count))
            b.raw(data)
        }
    }

    mutating func simplePacket(data: [UInt8], originalLength: UInt32? = nil) {
        block(3) { b in
            b.u32(originalLength ?? UInt32(data.count))
            b.raw(data)
        }
    }

    mutating func obsoletePacket(interface: UInt16, timestamp: UInt64, data: [UInt8]) {
        block(2) { b in
            b.u16(interface)
            b.u16(0)
            b.u32(UInt32(timestamp >> 32))
            b.u32(UInt32(timestamp & 0xffff_ffff))
            b.u32(UInt32(data.count))
            b.u32(UInt32(data.count))
            b.raw(data)
        }
    }
}
