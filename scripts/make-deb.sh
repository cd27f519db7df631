#!/usr/bin/env bash
# Builds build/mitmwatch_VERSION_ARCH.deb with dpkg-deb alone (no debhelper): a release build with
# the Swift runtime linked statically, the systemd unit, the logrotate file, the example
# configuration as a conffile, documentation and a manual page made from the binary's own help.
#
#   scripts/make-deb.sh            (or: make deb)
#
# Environment: SWIFT (default swift), DEBEMAIL / DEBFULLNAME for the Maintainer field,
# SOURCE_DATE_EPOCH (default: the last commit's time) for reproducible timestamps.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="/opt/swift/usr/bin:$PATH"
SWIFT=${SWIFT:-swift}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

for tool in dpkg-deb dpkg gzip strip python3; do
    command -v "$tool" >/dev/null || { echo "make-deb: $tool is missing" >&2; exit 1; }
done

# 1. Build. --disable-local-rpath: no $ORIGIN RUNPATH in an installed /usr/bin binary.
build_flags=(-c release --product mitmwatch --static-swift-stdlib --disable-local-rpath
             --scratch-path .build-deb)
"$SWIFT" build "${build_flags[@]}"
binary="$("$SWIFT" build "${build_flags[@]}" --show-bin-path)/mitmwatch"
[ -x "$binary" ] || { echo "make-deb: no binary at $binary" >&2; exit 1; }
if ldd "$binary" | grep -q 'libswift\|libFoundation\|libdispatch\|libBlocksRuntime'; then
    echo "make-deb: the binary still links the Swift runtime dynamically:" >&2
    ldd "$binary" >&2
    exit 1
fi

version=$("$binary" --version)
arch=$(dpkg --print-architecture)
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || { echo "make-deb: bad version '$version'" >&2; exit 1; }
name="mitmwatch_${version}_${arch}"
stage="$root/build/$name"
deb="$root/build/$name.deb"
rm -rf "$stage" "$deb"
mkdir -p "$stage/DEBIAN"

# 2. Files.
install -D -m 0755 "$binary" "$stage/usr/bin/mitmwatch"
strip --strip-unneeded --remove-section=.comment "$stage/usr/bin/mitmwatch"
install -D -m 0644 systemd/mitmwatch.service "$stage/lib/systemd/system/mitmwatch.service"
install -D -m 0644 systemd/mitmwatch.logrotate "$stage/etc/logrotate.d/mitmwatch"
conffiles=(/etc/logrotate.d/mitmwatch)
if [ -f config.example.json ]; then
    python3 -m json.tool config.example.json >/dev/null \
        || { echo "make-deb: config.example.json is not valid JSON" >&2; exit 1; }
    install -D -m 0644 config.example.json "$stage/etc/mitmwatch/config.json"
    conffiles+=(/etc/mitmwatch/config.json)
else
    echo "make-deb: note: no config.example.json; the package ships no /etc/mitmwatch/config.json" >&2
fi

for list in data/watchlists/*.txt; do
    install -D -m 0644 "$list" "$stage/usr/share/mitmwatch/watchlists/$(basename "$list")"
done

doc="$stage/usr/share/doc/mitmwatch"
install -D -m 0644 README.md "$doc/README.md"
install -D -m 0644 data/indicators/README.md "$doc/indicators.md"
[ -f pins.example.json ] && install -D -m 0644 pins.example.json "$doc/examples/pins.example.json"
[ -f config.example.json ] && install -D -m 0644 config.example.json "$doc/examples/config.example.json"
{
    cat <<'EOF'
mitmwatch — passive TLS interception detector

Files: *
Copyright: the mitmwatch authors
License: no licence file is present in the source tree this package was built from; ask the
 authors before redistributing.

Statically linked into /usr/bin/mitmwatch: the Swift standard library and runtime, Foundation
and Dispatch (Apache-2.0 with the Runtime Library Exception, https://swift.org/LICENSE.txt),
the ICU data Foundation carries (Unicode-3.0), and swift-argument-parser (Apache-2.0).
Dynamically linked: libpcap (BSD-3-Clause), OpenSSL libcrypto and libssl (Apache-2.0), SQLite (public
domain) and libpq (PostgreSQL Licence).

Built-in interception indicators
--------------------------------
The binary embeds data/indicators (interception-roots.json and 36 CA certificates), a curated
list of certificates that governments or operators acting for them used to intercept TLS.
The certificates are public CA certificates; every entry records its own sources and how it
was verified. The full provenance, field by field, is in
/usr/share/doc/mitmwatch/indicators.md (data/indicators/README.md). Its sources, verbatim:

EOF
    # The "## Sources" section of data/indicators/README.md, up to the next heading.
    awk '/^## Sources/{on=1; next} on && /^## /{exit} on' data/indicators/README.md | sed 's/^/  /'
} > "$doc/copyright"
chmod 0644 "$doc/copyright"

man="$stage/usr/share/man/man1/mitmwatch.1"
mkdir -p "$(dirname "$man")"
python3 scripts/make-manpage.py "$stage/usr/bin/mitmwatch" > "$man"
gzip -9n "$man"
chmod 0644 "$man.gz"

# 3. Control files.
depends=""
if command -v dpkg-shlibdeps >/dev/null; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/debian"
    printf 'Source: mitmwatch\n\nPackage: mitmwatch\nArchitecture: any\n' > "$work/debian/control"
    depends=$(cd "$work" && dpkg-shlibdeps -O "$stage/usr/bin/mitmwatch" | sed -n 's/^shlibs:Depends=//p')
else
    # No dpkg-dev: the packages owning each directly needed library, without versions.
    depends=$(readelf -d "$stage/usr/bin/mitmwatch" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' |
        while read -r lib; do
            path=$(ldd "$stage/usr/bin/mitmwatch" | awk -v l="$lib" '$1 == l && $3 ~ /^\// {print $3}')
            [ -n "$path" ] || continue
            dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true
        done | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
fi
[ -n "$depends" ] || { echo "make-deb: could not compute Depends" >&2; exit 1; }
for needed in libpcap0.8 libssl3; do
    grep -q "$needed" <<<"$depends" || echo "make-deb: warning: Depends lacks $needed: $depends" >&2
done

installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOF
Package: mitmwatch
Version: $version
Architecture: $arch
Maintainer: ${DEBFULLNAME:-mitmwatch maintainers} <${DEBEMAIL:-mitmwatch@localhost}>
Installed-Size: $installed_size
Depends: $depends
Recommends: logrotate, publicsuffix, ca-certificates
Section: net
Priority: optional
Description: passive TLS interception detector
 mitmwatch watches TLS handshakes passively on a network gateway and reports
 the certificate chain every server presents, alerting when a chain contains
 or is issued by a known interception CA (government-issued roots such as
 Kazakhstan's Qaznet Trust Network and its successors), when a chain does not
 validate, when a pin does not match, or when a leaf looks minted on the fly.
 .
 The package installs the mitmwatch command and a hardened systemd unit,
 which is neither enabled nor started on install.
EOF
printf '%s\n' "${conffiles[@]}" > "$stage/DEBIAN/conffiles"

cat > "$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# The service is not enabled or started: configure /etc/mitmwatch/config.json first, then
#   systemctl enable --now mitmwatch
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
    if systemctl --quiet is-active mitmwatch.service; then
        systemctl try-restart mitmwatch.service || true   # an upgrade: run the new binary
    fi
fi
exit 0
EOF
cat > "$stage/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop mitmwatch.service >/dev/null 2>&1 || true
fi
exit 0
EOF
cat > "$stage/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
case "$1" in
    remove|purge)
        rm -f /etc/systemd/system/multi-user.target.wants/mitmwatch.service
        if [ -d /run/systemd/system ]; then
            systemctl --system daemon-reload >/dev/null || true
        fi
        ;;
esac
if [ "$1" = purge ]; then
    # Alerts and state (DynamicUser=yes keeps them under /var/{log,lib}/private).
    rm -rf /var/log/mitmwatch /var/log/private/mitmwatch /var/lib/mitmwatch /var/lib/private/mitmwatch
fi
exit 0
EOF
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles"

# 4. Package: every file root:root, mtimes clamped for reproducibility.
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "$deb ($(du -h "$deb" | cut -f1)): Depends: $depends"
