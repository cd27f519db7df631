import CLinux
import CPcap
import Wire

#if canImport(Glibc)
import Glibc
#endif

// The unsafe part of AF_PACKET capture, all in this file: the C helpers that take pointers
// (Sources/CLinux/shim.h), the ring memory shared with the kernel, and libpcap's filter compiler.
// `AFPacketCapture` builds on these and spells no `unsafe` itself.

/// An AF_PACKET socket's descriptor and the calls on it that pass pointers.
@safe
final class PacketSocket {
    let descriptor: Int32

    /// A socket that receives nothing until bound; nil with errno set.
    init?() {
        descriptor = mw_packet_socket()
        guard descriptor >= 0 else { return nil }
    }

    deinit { close(descriptor) }

    struct InterfaceInfo {
        var index: Int32
        /// ARPHRD_* (what SIOCGIFHWADDR reports, and sll_hatype on received packets).
        var hardwareType: Int32
        var isUp: Bool
    }

    /// Index, hardware type and state of the interface `name`; nil with errno set (ENODEV: no such interface).
    static func interfaceInfo(_ name: String) -> InterfaceInfo? {
        var info = mw_interface_info(index: 0, hardware_type: 0, flags: 0)
        // unsafe: the helper reads the NUL-terminated name and writes one local struct.
        guard unsafe mw_interface_info(name, &info) == 0 else { return nil }
        return InterfaceInfo(index: info.index, hardwareType: info.hardware_type, isUp: info.flags & Int32(IFF_UP) != 0)
    }

    /// PACKET_STATISTICS since the previous read (the kernel resets them when read).
    func statisticsSinceLastRead() -> KernelStatistics? {
        var stats = mw_packet_statistics(packets: 0, drops: 0, freezes: 0)
        // unsafe: the helper writes one local struct.
        guard unsafe mw_packet_statistics(descriptor, &stats) == 0 else { return nil }
        return KernelStatistics(received: UInt64(stats.packets), dropped: UInt64(stats.drops), ringFull: UInt64(stats.freezes))
    }

    /// Compiles `expression` with libpcap for `linkType` frames, accepting `snaplen` bytes of each
    /// packet (the kernel cuts packets to what the program returns), and attaches it. With
    /// `skipOutgoing`, packets this host sends are rejected first (loopback sees each twice).
    /// Returns nil, or why it failed.
    func attachFilter(_ expression: String, linkType: LinkType, snaplen: Int, skipOutgoing: Bool) -> String? {
        // unsafe: a "dead" pcap handle only carries the link type and snaplen for the compiler;
        // it is closed before returning.
        guard let compiler = unsafe pcap_open_dead(linkType.rawValue, Int32(snaplen)) else { return "libpcap cannot compile filters" }
        defer { unsafe pcap_close(compiler) }
        var program = unsafe bpf_program()
        guard unsafe pcap_compile(compiler, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let reason = unsafe String(cString: pcap_geterr(compiler))
            return "BPF filter \"\(expression)\": " + reason
        }
        defer { unsafe pcap_freecode(&program) }
        // unsafe: the helper copies `bf_len` instructions from the compiled program (struct
        // bpf_insn has struct sock_filter's layout) before `pcap_freecode` runs.
        guard unsafe mw_attach_filter(descriptor, program.bf_insns, program.bf_len, skipOutgoing ? 1 : 0) == 0 else {
            return "cannot attach the BPF filter: " + errorText(errno)
        }
        return nil
    }
}

/// The receive ring of a TPACKET_V3 socket: `blockCount` blocks of `blockSize` bytes, mapped
/// from the kernel. The kernel fills a block with packets and *retires* it (hands it to user
/// space: TP_STATUS_USER) when it is full or `tp_retire_blk_tov` has passed; user space reads
/// its packets in place and gives it back (TP_STATUS_KERNEL). Blocks are used in order.
@safe
final class PacketRing {
    private let base: UnsafeMutablePointer<UInt8>
    let blockSize: Int
    let blockCount: Int
    /// The next block to look at: the oldest one the kernel may have retired.
    private var next = 0

    /// TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): the least a packet header takes.
    private static let packetHeaderSize = 48

    /// Maps the ring of `socket` (set up with PACKET_RX_RING); nil with errno set.
    init?(socket: PacketSocket, blockSize: Int, blockCount: Int) {
        let length = blockSize * blockCount
        // unsafe: mmap of the ring the kernel allocated for this socket; unmapped in deinit.
        guard let mapped = unsafe mw_map_ring(socket.descriptor, length) else { return nil }
        // unsafe: the mapping is plain bytes for as long as it exists.
        unsafe base = mapped.bindMemory(to: UInt8.self, capacity: length)
        self.blockSize = blockSize
        self.blockCount = blockCount
    }

    deinit { _ = unsafe munmap(base, blockSize * blockCount) }

    /// Hands the packets of every block the kernel has retired to `body` — bytes in place in the
    /// ring, valid only during the call — and gives the blocks back. Visits each block at most
    /// once per call, so it ends even under a flood. Returns how many packets were handed over.
    func drain(_ body: (Span<UInt8>, Int, Timestamp) -> Void) -> Int {
        var packets = 0
        for _ in 0..<blockCount {
            // unsafe: `next < blockCount`, so the block lies inside the mapping.
            let block = unsafe base + next * blockSize
            let header = unsafe mw_block_read(block)
            guard header.status & UInt32(TP_STATUS_USER) != 0 else { break }
            // Offsets come from the kernel; each is still checked against the block's bounds so
            // a surprise cannot make us read outside the mapping.
            let used = min(Int(header.length), blockSize)
            var offset = Int(header.first_packet_offset)
            for _ in 0..<header.packet_count {
                guard offset >= 0, offset + Self.packetHeaderSize <= used else { break }
                // unsafe: `offset + packetHeaderSize <= used <= blockSize` (checked above).
                let packet = unsafe mw_packet_read(block + offset)
                let start = offset + Int(packet.data_offset), captured = Int(packet.captured)
                guard start + captured <= used else { break }
                let time = Timestamp(seconds: Int64(packet.seconds), nanoseconds: Int64(packet.nanoseconds))
                // unsafe: the packet's bytes lie inside the block (checked above), and the block
                // stays the user's, unchanged, until it is released below.
                unsafe withBorrowedBytes(block + start, count: captured) { body($0, Int(packet.length), time) }
                packets += 1
                guard packet.next_offset != 0 else { break }
                offset += Int(packet.next_offset)
            }
            // unsafe: the block is ours until this store; nothing refers to its bytes any more.
            unsafe mw_block_release(block)
            next = next + 1 == blockCount ? 0 : next + 1
        }
        return packets
    }
}

/// strerror's text for an errno value.
func errorText(_ code: Int32) -> String {
    // unsafe: strerror returns a NUL-terminated string that stays valid until the next call
    // on this thread; it is copied at once.
    unsafe String(cString: strerror(code))
}
