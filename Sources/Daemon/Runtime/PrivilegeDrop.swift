import CLinux

#if canImport(Glibc)
import Glibc
#endif

/// After the capture handles are open, a daemon started as root becomes an unprivileged user
/// that keeps only CAP_NET_RAW (to reopen interfaces that come back). Under systemd the unit's
/// DynamicUser and ambient capability do this before mitmwatch starts, and nothing is needed.
enum PrivilegeDrop {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func become(_ user: String) throws(Failure) {
        guard let entry = unsafe getpwnam(user) else { throw Failure(description: "no such user: \(user)") }
        let uid = unsafe entry.pointee.pw_uid, gid = unsafe entry.pointee.pw_gid
        guard geteuid() == 0 else {
            throw Failure(description: "--user \(user) needs mitmwatch to start as root")
        }
        // Keep the permitted capabilities across setuid, then trim them to CAP_NET_RAW.
        guard mw_prctl(PR_SET_KEEPCAPS, 1) == 0,
              setgroups(0, nil) == 0, setgid(gid) == 0, setuid(uid) == 0
        else { throw Failure(description: "cannot switch to \(user): \(JSONLogFile.errorText())") }
        guard mw_keep_only_net_raw() == 0 else {
            throw Failure(description: "cannot keep CAP_NET_RAW: \(JSONLogFile.errorText())")
        }
        _ = mw_prctl(PR_SET_KEEPCAPS, 0)
        _ = mw_prctl(PR_SET_NO_NEW_PRIVS, 1)
    }

    /// The user's ids, to hand files over before switching.
    static func ids(of user: String) -> (uid: uid_t, gid: gid_t)? {
        guard let entry = unsafe getpwnam(user) else { return nil }
        return unsafe (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }
}
