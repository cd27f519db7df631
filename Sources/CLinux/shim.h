// Linux interfaces Glibc's Swift module does not expose.
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <poll.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

/// Leaves only CAP_NET_RAW (permitted and effective) in this thread's capability sets: what
/// capture needs after the daemon switched to an unprivileged user. Returns 0 on success.
static inline int mw_keep_only_net_raw(void) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    data[0].effective = data[0].permitted = (1u << CAP_NET_RAW);
    return (int)syscall(SYS_capset, &header, data);
}

/// prctl with one argument (Swift cannot call the variadic prctl).
static inline int mw_prctl(int option, unsigned long value) { return prctl(option, value, 0, 0, 0); }

// ---------------------------------------------------------------------------------------------
// AF_PACKET capture with a TPACKET_V3 ring (Sniffer/Capture/PacketRing.swift is the only user).
// Swift cannot call the variadic ioctl, build the sockaddr_ll/packet_mreq/tpacket_req3/sock_fprog
// argument structs as the kernel wants them, or read and write a ring block's status word with
// the acquire/release ordering the kernel's side of the ring requires: these helpers do that and
// nothing else. Each returns 0 (or a non-negative value) on success and -1 with errno set.
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef PACKET_FANOUT_FLAG_UNIQUEID
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000
#endif

/// An interface's index, hardware type (ARPHRD_*) and flags (IFF_*), by name.
struct mw_interface_info { int index; int hardware_type; int flags; };

static inline int mw_interface_info(const char *name, struct mw_interface_info *out) {
    struct ifreq request;
    if (strlen(name) >= sizeof(request.ifr_name)) { errno = ENODEV; return -1; }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int result = -1;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, sizeof(request.ifr_name) - 1);
    if (ioctl(fd, SIOCGIFINDEX, &request) == 0) {
        out->index = request.ifr_ifindex;
        if (ioctl(fd, SIOCGIFHWADDR, &request) == 0) {
            out->hardware_type = request.ifr_hwaddr.sa_family;
            if (ioctl(fd, SIOCGIFFLAGS, &request) == 0) {
                out->flags = request.ifr_flags;
                result = 0;
            }
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

/// An AF_PACKET socket that receives nothing until it is bound (protocol 0), close-on-exec.
static inline int mw_packet_socket(void) { return socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); }

/// Selects TPACKET_V3 and sets up the receive ring: `block_count` blocks of `block_size` bytes
/// (a multiple of the page size), frames of `frame_size` (only a bookkeeping unit in V3), a
/// partly filled block handed to user space after `retire_ms` milliseconds.
static inline int mw_packet_rx_ring_v3(int fd, unsigned block_size, unsigned block_count, unsigned frame_size,
                                       unsigned retire_ms) {
    int version = TPACKET_V3;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) return -1;
    struct tpacket_req3 request;
    memset(&request, 0, sizeof request);
    request.tp_block_size = block_size;
    request.tp_block_nr = block_count;
    request.tp_frame_size = frame_size;
    request.tp_frame_nr = (block_size / frame_size) * block_count;
    request.tp_retire_blk_tov = retire_ms;
    request.tp_feature_req_word = 0;
    return setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request);
}

/// Binds to one interface, every protocol (ETH_P_ALL): packets start arriving.
static inline int mw_packet_bind(int fd, int interface_index) {
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = interface_index;
    return bind(fd, (struct sockaddr *)&address, sizeof address);
}

/// Promiscuous mode for as long as the socket is open (the kernel counts memberships, so other
/// captures and the interface's own setting are left alone).
static inline int mw_packet_promiscuous(int fd, int interface_index) {
    struct packet_mreq membership;
    memset(&membership, 0, sizeof membership);
    membership.mr_ifindex = interface_index;
    membership.mr_type = PACKET_MR_PROMISC;
    return setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, sizeof membership);
}

/// Joins fanout group `group` with `type_flags` (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG,
/// plus PACKET_FANOUT_FLAG_UNIQUEID with group 0 to have the kernel pick an unused id).
static inline int mw_packet_fanout(int fd, unsigned group, unsigned type_flags) {
    unsigned value = (group & 0xffffu) | (type_flags << 16);
    return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &value, sizeof value);
}

/// The fanout group id the socket is in (-1 when none).
static inline int mw_packet_fanout_group(int fd) {
    unsigned value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &value, &length) != 0) return -1;
    return (int)(value & 0xffffu);
}

/// PACKET_STATISTICS since the last call (the kernel resets them on every read): packets
/// (including the dropped ones), drops, and how often the ring was found full (queue frozen).
struct mw_packet_statistics { unsigned packets; unsigned drops; unsigned freezes; };

static inline int mw_packet_statistics(int fd, struct mw_packet_statistics *out) {
    struct tpacket_stats_v3 stats;
    memset(&stats, 0, sizeof stats);
    socklen_t length = sizeof stats;
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &length) != 0) return -1;
    out->packets = stats.tp_packets;
    out->drops = stats.tp_drops;
    out->freezes = stats.tp_freeze_q_cnt;
    return 0;
}

/// The socket's pending error (SO_ERROR, which reading clears): ENETDOWN when the interface
/// went down or away. 0 when none.
static inline int mw_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
}

/// Attaches a classic BPF program (`count` instructions as libpcap's `pcap_compile` makes them:
/// struct bpf_insn has the layout of struct sock_filter). With `skip_outgoing`, two instructions
/// go first that reject packets the host sends (on loopback every packet is seen once sent and
/// once received; only the received copy is kept, as libpcap does). Jumps in classic BPF are
/// relative, so the program after them needs no change.
static inline int mw_attach_filter(int fd, const void *instructions, unsigned count, int skip_outgoing) {
    unsigned prefix = skip_outgoing ? 3 : 0;
    if (count == 0 || count + prefix > BPF_MAXINSNS) { errno = EINVAL; return -1; }
    struct sock_filter *program = calloc(count + prefix, sizeof(struct sock_filter));
    if (program == NULL) return -1;
    if (skip_outgoing) {
        program[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (unsigned)(SKF_AD_OFF + SKF_AD_PKTTYPE));
        program[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1);
        program[2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
    }
    memcpy(program + prefix, instructions, count * sizeof(struct sock_filter));
    struct sock_fprog fprog = { (unsigned short)(count + prefix), program };
    int result = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog);
    int saved = errno;
    free(program);
    errno = saved;
    return result;
}

/// Maps the ring (`length` bytes) shared with the kernel; NULL on failure.
static inline void *mw_map_ring(int fd, size_t length) {
    void *ring = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    return ring == MAP_FAILED ? NULL : ring;
}

/// One ring block's header, read after its status said it belongs to user space.
struct mw_block { uint32_t status; uint32_t packet_count; uint32_t first_packet_offset; uint32_t length; };

/// Reads block `block`'s status with acquire ordering (so the packets the kernel wrote before
/// handing the block over are seen), and its header when it is the user's.
static inline struct mw_block mw_block_read(const void *block) {
    const struct tpacket_block_desc *descriptor = block;
    struct mw_block result = { 0, 0, 0, 0 };
    result.status = __atomic_load_n(&descriptor->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
    if (result.status & TP_STATUS_USER) {
        result.packet_count = descriptor->hdr.bh1.num_pkts;
        result.first_packet_offset = descriptor->hdr.bh1.offset_to_first_pkt;
        result.length = descriptor->hdr.bh1.blk_len;
    }
    return result;
}

/// Gives a block back to the kernel (release ordering: we are done reading it).
static inline void mw_block_release(void *block) {
    struct tpacket_block_desc *descriptor = block;
    __atomic_store_n(&descriptor->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/// One packet's header in a block.
struct mw_packet { uint32_t next_offset; uint32_t seconds; uint32_t nanoseconds; uint32_t captured; uint32_t length;
                   uint32_t status; uint16_t data_offset; };

static inline struct mw_packet mw_packet_read(const void *packet) {
    const struct tpacket3_hdr *header = packet;
    struct mw_packet result = { header->tp_next_offset, header->tp_sec, header->tp_nsec, header->tp_snaplen,
                                header->tp_len, header->tp_status, header->tp_mac };
    return result;
}
