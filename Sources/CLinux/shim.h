// Linux interfaces Glibc's Swift module does not expose.
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <poll.h>
