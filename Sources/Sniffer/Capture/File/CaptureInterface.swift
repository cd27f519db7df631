/// What a capture says about the packets recorded on one interface: a pcapng Interface
/// Description Block, or a classic pcap file's header (one interface for the whole file).
struct CaptureInterface: Sendable, Equatable {
    var linkType: LinkType
    /// The most bytes of a packet the capture kept (0 and absurd values mean the maximum).
    var snapshotLength: Int
    var resolution: TimestampResolution = .microseconds
    /// `if_tsoffset`: seconds added to every timestamp of the interface.
    var offsetSeconds: Int64 = 0
    /// False when the description was too short to say even the link type: its packets are
    /// dropped (the interface still takes its number, so later interfaces keep theirs).
    var isUsable = true

    init(linkType: LinkType, snapshotLength: UInt32) {
        self.linkType = linkType
        let length = Int(snapshotLength)
        self.snapshotLength = length == 0 || length > LinkType.maximumSnapshotLength
            ? LinkType.maximumSnapshotLength : length
    }

    static let unusable: CaptureInterface = {
        var interface = CaptureInterface(linkType: LinkType(rawValue: -1), snapshotLength: 0)
        interface.isUsable = false
        return interface
    }()
}

/// The unit of a capture's timestamps: 10^-k or 2^-k seconds (pcapng `if_tsresol`; classic
/// pcap is 10^-6 or 10^-9).
enum TimestampResolution: Sendable, Equatable {
    case decimal(UInt8)
    case binary(UInt8)

    static let microseconds = TimestampResolution.decimal(6)
    static let nanoseconds = TimestampResolution.decimal(9)

    /// The `if_tsresol` option's byte: the high bit picks base 2, the rest is the exponent.
    init(optionByte: UInt8) {
        self = optionByte & 0x80 != 0 ? .binary(optionByte & 0x7f) : .decimal(optionByte)
    }

    private static let powersOfTen: [UInt64] = (0...19).map { exponent in
        (0..<exponent).reduce(UInt64(1)) { value, _ in value * 10 }
    }

    /// The time `units` of this resolution after the epoch, plus `offsetSeconds`. Exact for
    /// every exponent the option can hold (10^-0...10^-127, 2^-0...2^-127), rounding down to
    /// the nanosecond, as libpcap does for the resolutions it accepts.
    func timestamp(units: UInt64, offsetSeconds: Int64) -> Timestamp {
        let seconds: UInt64
        let nanoseconds: UInt64
        switch self {
        case .decimal(let exponent):
            let powers = Self.powersOfTen
            if exponent <= 19 {
                let perSecond = powers[Int(exponent)]
                seconds = units / perSecond
                let fraction = units % perSecond
                nanoseconds = exponent <= 9 ? fraction * powers[9 - Int(exponent)]
                                            : fraction / powers[Int(exponent) - 9]
            } else {  // more units per second than a UInt64 counts: under one second
                seconds = 0
                let divisorExponent = Int(exponent) - 9
                nanoseconds = divisorExponent <= 19 ? units / powers[divisorExponent] : 0
            }
        case .binary(let exponent):
            let shift = Int(exponent)
            if shift < 64 {
                seconds = units >> shift
                let fraction = units & ((1 << shift) &- 1)
                nanoseconds = Self.billionTimes(fraction, shiftedRightBy: shift)
            } else {
                seconds = 0
                nanoseconds = Self.billionTimes(units, shiftedRightBy: shift)
            }
        }
        return Timestamp(seconds: Int64(bitPattern: seconds) &+ offsetSeconds, nanoseconds: Int64(nanoseconds))
    }

    /// (value × 10^9) >> shift without overflow (the product needs up to 94 bits).
    private static func billionTimes(_ value: UInt64, shiftedRightBy shift: Int) -> UInt64 {
        let (high, low) = value.multipliedFullWidth(by: 1_000_000_000)
        switch shift {
        case 0: return low  // only reached with value 0 (no fraction at resolution 2^0)
        case 1..<64: return low >> shift | high << (64 - shift)
        case 64..<128: return high >> (shift - 64)
        default: return 0
        }
    }
}
