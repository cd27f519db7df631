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
