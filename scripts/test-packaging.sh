#!/usr/bin/env bash
# Packaging checks (make test-packaging): the systemd unit's hardening score and `verify`, then
# builds the .deb (scripts/make-deb.sh), installs it with dpkg, runs the installed binary on the
# bundled sample capture, and removes it again. Installs and removes a system package: meant for
# a throwaway CI machine (or a sandbox), run as root or with sudo. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="/opt/swift/usr/bin:$PATH"
MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}
unit=systemd/mitmwatch.service
passed=0
failed=0
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; [ -n "${2:-}" ] && sed 's/^/    /' <<<"$2"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

if ! command -v systemd-analyze >/dev/null; then
    echo "installing systemd (for systemd-analyze)"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq systemd >/dev/null
fi

# 1. Hardening: the overall exposure systemd-analyze computes from the unit file alone.
security=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for mitmwatch.service: \([0-9.]*\).*/\1/p' <<<"$security")
if [ -z "$exposure" ]; then
    fail "systemd-analyze security printed no exposure level" "$security"
elif awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
    pass "systemd-analyze security: exposure $exposure <= $MAX_EXPOSURE"
else
    fail "systemd-analyze security: exposure $exposure > $MAX_EXPOSURE" "$(grep '✗' <<<"$security")"
fi

# 2. Build the package (also gives the binary that step 3 points the unit at).
if build_log=$(scripts/make-deb.sh 2>&1); then
    deb=$(tail -1 <<<"$build_log" | sed -n 's/^\(.*\.deb\) (.*/\1/p')
    if [ -f "$deb" ]; then pass "make-deb: $(tail -1 <<<"$build_log")"; else fail "make-deb: no .deb named" "$build_log"; finish; fi
else
    fail "scripts/make-deb.sh failed" "$(tail -30 <<<"$build_log")"
    finish
fi
version=$(dpkg-deb -f "$deb" Version)
binary="$root/.build-deb/release/mitmwatch"

# 3. verify before installing: a copy of the unit whose ExecStart is the binary just built (the
#    unit's own /usr/bin/mitmwatch does not exist yet), without the man: check (not installed yet).
sed "s|^ExecStart=/usr/bin/mitmwatch |ExecStart=$binary |" "$unit" > "$tmp/mitmwatch.service"
verify=$(systemd-analyze verify --man=no "$tmp/mitmwatch.service" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [ -z "$verify" ]; then
    pass "systemd-analyze verify (ExecStart=$binary): no output"
else
    fail "systemd-analyze verify (exit $rc)" "$verify"
fi

# 4. Contents.
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/mitmwatch ./lib/systemd/system/mitmwatch.service ./etc/logrotate.d/mitmwatch \
            ./usr/share/man/man1/mitmwatch.1.gz ./usr/share/doc/mitmwatch/README.md \
            ./usr/share/doc/mitmwatch/copyright; do
    if grep -q " $path\$" <<<"$contents"; then pass "package contains $path"; else fail "package lacks $path"; fi
done
if [ -f config.example.json ]; then
    if grep -q " ./etc/mitmwatch/config.json\$" <<<"$contents" &&
       dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/mitmwatch/config.json; then
        pass "config.example.json is /etc/mitmwatch/config.json, a conffile"
    else
        fail "config.example.json is not packaged as the conffile /etc/mitmwatch/config.json"
    fi
fi
bad_owner=$(grep -v ' root/root ' <<<"$contents")
if [ -z "$bad_owner" ]; then pass "every file is root/root"; else fail "files not owned by root" "$bad_owner"; fi
depends=$(dpkg-deb -f "$deb" Depends)
if grep -q libpcap0.8 <<<"$depends" && grep -q libssl3 <<<"$depends" && ! grep -qi swift <<<"$depends"; then
    pass "Depends: $depends"
else
    fail "Depends lacks libpcap0.8 or libssl3, or names Swift" "$depends"
fi

# 5. Install, run the installed binary, remove.
if dpkg-query -W -f='${Status}' mitmwatch 2>/dev/null | grep -q "install ok installed"; then
    echo "note: mitmwatch $(dpkg-query -W -f='${Version}' mitmwatch) is installed; it will be replaced and removed"
fi
if out=$("${sudo_cmd[@]}" dpkg -i "$deb" 2>&1); then
    pass "dpkg -i $(basename "$deb")"
else
    fail "dpkg -i failed" "$out"
    finish
fi

if [ "$(/usr/bin/mitmwatch --version 2>&1)" = "$version" ]; then
    pass "/usr/bin/mitmwatch --version prints $version"
else
    fail "/usr/bin/mitmwatch --version" "$(/usr/bin/mitmwatch --version 2>&1)"
fi
libs=$(ldd /usr/bin/mitmwatch 2>&1)
if grep -qiE 'libswift|libFoundation|libdispatch|libBlocksRuntime|not found' <<<"$libs"; then
    fail "ldd /usr/bin/mitmwatch: Swift runtime or missing libraries" "$libs"
else
    pass "ldd /usr/bin/mitmwatch: no libswift*, nothing missing"
fi
if readelf -d /usr/bin/mitmwatch | grep -qiE 'rpath|runpath'; then
    fail "/usr/bin/mitmwatch has an RPATH/RUNPATH" "$(readelf -d /usr/bin/mitmwatch | grep -iE 'rpath|runpath')"
else
    pass "/usr/bin/mitmwatch has no RPATH/RUNPATH"
fi
demo=$(cd / && /usr/bin/mitmwatch read "$root/samples/demo.pcap" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && grep -q 'ALERT \[critical\] known-interception-ca' <<<"$demo"; then
    pass "installed mitmwatch read samples/demo.pcap: ALERT [critical] known-interception-ca"
else
    fail "installed mitmwatch read samples/demo.pcap (exit $rc)" "$(head -40 <<<"$demo")"
fi
for path in /lib/systemd/system/mitmwatch.service /etc/logrotate.d/mitmwatch; do
    if dpkg -L mitmwatch | grep -qx "$path" && [ -f "$path" ]; then pass "installed $path"; else fail "not installed: $path"; fi
done
if cmp -s "$unit" /lib/systemd/system/mitmwatch.service; then
    pass "installed unit is systemd/mitmwatch.service"
else
    fail "installed unit differs from systemd/mitmwatch.service"
fi
# The installed unit, as it is: /usr/bin/mitmwatch exists now, and so does the man page.
man_check=--man=no
command -v man >/dev/null && man_check=--man=yes
verify=$(systemd-analyze verify "$man_check" /lib/systemd/system/mitmwatch.service 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [ -z "$verify" ]; then
    pass "systemd-analyze verify $man_check /lib/systemd/system/mitmwatch.service: no output"
else
    fail "systemd-analyze verify of the installed unit (exit $rc)" "$verify"
fi
if command -v logrotate >/dev/null; then
    lr=$(logrotate -d /etc/logrotate.d/mitmwatch 2>&1); rc=$?
    if [ "$rc" -eq 0 ] && ! grep -qi 'error' <<<"$lr"; then
        pass "logrotate -d /etc/logrotate.d/mitmwatch"
    else
        fail "logrotate -d /etc/logrotate.d/mitmwatch (exit $rc)" "$lr"
    fi
else
    echo "note: logrotate is not installed; /etc/logrotate.d/mitmwatch not parsed"
fi
if command -v man >/dev/null; then
    if man_text=$(MANWIDTH=100 man -l /usr/share/man/man1/mitmwatch.1.gz 2>&1) &&
       grep -q 'mitmwatch read' <<<"$man_text"; then
        pass "man page renders"
    else
        fail "man page does not render" "$man_text"
    fi
fi

if out=$("${sudo_cmd[@]}" dpkg -r mitmwatch 2>&1) && [ ! -e /usr/bin/mitmwatch ] &&
   [ ! -e /lib/systemd/system/mitmwatch.service ]; then
    pass "dpkg -r mitmwatch"
else
    fail "dpkg -r mitmwatch" "$out"
fi
if out=$("${sudo_cmd[@]}" dpkg -P mitmwatch 2>&1) && [ ! -e /etc/logrotate.d/mitmwatch ] &&
   [ ! -e /etc/mitmwatch/config.json ]; then
    pass "dpkg -P mitmwatch removes the conffiles"
else
    fail "dpkg -P mitmwatch" "$out"
fi

finish
