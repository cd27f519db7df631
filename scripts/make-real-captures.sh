#!/usr/bin/env bash
# Record TLS handshakes between real TLS stacks (OpenSSL s_server/s_client,
# GnuTLS gnutls-serv/gnutls-cli, Python ssl) on loopback and write
#   samples/demo.pcap + samples/demo.expected.json
#   Tests/SnifferTests/Fixtures/real/<scenario>.pcap + <scenario>.expected.json
#
# The truth files are computed from the certificate files generated here
# (openssl x509 -outform DER | sha256sum, in the order each server sends
# them); the captures are only read for connection metadata (the ephemeral
# client port of s_client / gnutls-cli) and for a tshark cross-check at the end.
#
# Needs (Debian): openssl tcpdump tshark gnutls-bin python3; run as root
# (tcpdump on lo). Traffic is on 127.0.0.1 only. Rerunnable: everything is
# generated in a temp dir and copied into place at the end.
# Missing packages are installed with apt-get (set NO_INSTALL=1 to refuse).
#   KEEP_TMP=1 scripts/make-real-captures.sh    # keep the temp dir for debugging
#   ALLOW_MISMATCH=1 ...                        # install files even if the tshark cross-check disagrees
# Every run makes fresh keys, so all captures and hashes change on each run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/scripts/real_captures_helper.py"
SAMPLES="$ROOT/samples"
FIXTURES="$ROOT/Tests/SnifferTests/Fixtures/real"
START_TS=$(date +%s)

log() { printf '[make-real-captures] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- dependencies
need_pkgs=()
command -v openssl     >/dev/null || need_pkgs+=(openssl)
command -v tcpdump     >/dev/null || need_pkgs+=(tcpdump)
command -v tshark      >/dev/null || need_pkgs+=(tshark)
command -v mergecap    >/dev/null || need_pkgs+=(wireshark-common)
command -v gnutls-serv >/dev/null || need_pkgs+=(gnutls-bin)
command -v python3     >/dev/null || need_pkgs+=(python3)
if ((${#need_pkgs[@]})); then
    if [[ "${NO_INSTALL:-0}" != 1 ]]; then
        log "installing: ${need_pkgs[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
    else
        die "missing packages: ${need_pkgs[*]} (NO_INSTALL=1 is set)"
    fi
fi
[[ $(id -u) == 0 ]] || die "tcpdump on lo needs root"

# ---------------------------------------------------------------- temp dir, cleanup
T="$(mktemp -d /tmp/mitmwatch-captures.XXXXXX)"
PIDS=()
cleanup() {
    local rc=$?
    local p
    for p in "${PIDS[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            kill "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    exec 7>&-
    if [[ "${KEEP_TMP:-0}" == 1 || $rc != 0 ]]; then
        log "temp dir kept: $T"
    else
        rm -rf "$T"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A FIFO held open read-write on fd 7: s_server reads its stdin from it and
# never sees EOF (EOF on stdin makes s_server drop the connection).
mkfifo "$T/hold"
exec 7<>"$T/hold"

mkdir -p "$T/pki" "$T/cap" "$T/truth" "$T/log" "$T/out/real"

# ---------------------------------------------------------------- PKI helpers
cat >"$T/pki/req.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
cat >"$T/pki/ext.cnf" <<'EOF'
[ v3_int ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_client ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# genkey OUT TYPE   (TYPE: rsa | ec | rsa-e3)
genkey() {
    case "$2" in
        rsa)    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null ;;
        rsa-e3) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 -out "$1" 2>/dev/null ;;
        ec)     openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
        *)      die "unknown key type $2" ;;
    esac
}
serial() { echo "0x$(openssl rand -hex 8)"; }

# mkroot NAME KEYTYPE SUBJECT
mkroot() {
    genkey "$T/pki/$1.key" "$2"
    openssl req -config "$T/pki/req.cnf" -new -x509 -sha256 -days 3650 \
        -key "$T/pki/$1.key" -subj "$3" -extensions v3_root -set_serial "$(serial)" \
        -out "$T/pki/$1.pem"
}
# mkint NAME KEYTYPE SUBJECT ISSUER
mkint() {
    genkey "$T/pki/$1.key" "$2"
    openssl req -config "$T/pki/req.cnf" -new -key "$T/pki/$1.key" -subj "$3" -out "$T/pki/$1.csr"
    openssl x509 -req -sha256 -days 1825 -in "$T/pki/$1.csr" -CA "$T/pki/$4.pem" -CAkey "$T/pki/$4.key" \
        -set_serial "$(serial)" -extfile "$T/pki/ext.cnf" -extensions v3_int -out "$T/pki/$1.pem" 2>/dev/null
}
# mkleaf NAME KEYTYPE SUBJECT ISSUER SAN...   (server leaf, serverAuth)
mkleaf() {
    local name=$1 kt=$2 subj=$3 issuer=$4; shift 4
    local san="" n=0 d
    for d in "$@"; do n=$((n + 1)); san+="DNS.$n = $d"$'\n'; done
    genkey "$T/pki/$name.key" "$kt"
    cat >"$T/pki/$name.ext" <<EOF
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = @alt
[ alt ]
$san
EOF
    openssl req -config "$T/pki/req.cnf" -new -key "$T/pki/$name.key" -subj "$subj" -out "$T/pki/$name.csr"
    openssl x509 -req -sha256 -days 397 -in "$T/pki/$name.csr" -CA "$T/pki/$issuer.pem" -CAkey "$T/pki/$issuer.key" \
        -set_serial "$(serial)" -extfile "$T/pki/$name.ext" -out "$T/pki/$name.pem" 2>/dev/null
}
# mkclient NAME KEYTYPE SUBJECT ISSUER
mkclient() {
    genkey "$T/pki/$1.key" "$2"
    openssl req -config "$T/pki/req.cnf" -new -key "$T/pki/$1.key" -subj "$3" -out "$T/pki/$1.csr"
    openssl x509 -req -sha256 -days 397 -in "$T/pki/$1.csr" -CA "$T/pki/$4.pem" -CAkey "$T/pki/$4.key" \
        -set_serial "$(serial)" -extfile "$T/pki/ext.cnf" -extensions v3_client -out "$T/pki/$1.pem" 2>/dev/null
}
# cat_pem OUT NAME...  -> concatenation in the given order
cat_pem() { local out=$1; shift; : >"$T/pki/$out"; local n; for n in "$@"; do cat "$T/pki/$n.pem" >>"$T/pki/$out"; done; }
# hashes NAME...  -> "h1,h2,..." (sha256 of each DER certificate, in the given order)
hashes() {
    local n out=()
    for n in "$@"; do
        out+=("$(openssl x509 -in "$T/pki/$n.pem" -outform DER | sha256sum | cut -d' ' -f1)")
    done
    (IFS=,; echo "${out[*]}")
}

# ---------------------------------------------------------------- process helpers
# is_listening PORT: a TCP socket in LISTEN state on PORT (v4 or v6)
is_listening() {
    local hex; hex=$(printf '%04X' "$1")
    grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]{4} 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
wait_listen() {
    local i
    for i in $(seq 1 100); do is_listening "$1" && return 0; sleep 0.05; done
    die "nothing listening on port $1 after 5s"
}
# forget PID: drop an already-reaped PID from the cleanup list (never signal a reused PID)
forget() { local p keep=(); for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done; PIDS=("${keep[@]}"); }
# stop PID: wait up to ~5 s for it to exit by itself, then kill it
stop() {
    local pid=$1 i
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
    forget "$pid"
}
# kill_now PID
kill_now() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; forget "$1"; }

CAP_PID=""
# cap_start NAME PORT: tcpdump on lo, only this port, into $T/cap/NAME.pcap
cap_start() {
    local name=$1 port=$2 i
    tcpdump -i lo --immediate-mode -U -Z root -n -s 0 -w "$T/cap/$name.pcap" "tcp port $port" 2>"$T/log/$name.tcpdump" &
    CAP_PID=$!; PIDS+=("$CAP_PID")
    for i in $(seq 1 100); do grep -q 'listening on' "$T/log/$name.tcpdump" && return 0; sleep 0.05; done
    die "tcpdump did not start for $name"
}
cap_stop() {
    sleep 0.3                      # let the FIN/ACK exchange land in the capture
    kill -INT "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    forget "$CAP_PID"
}
# syn_port NAME: the client port of the (single) connection in the capture
# (sets CPORT; not used in $(...) so that a failure stops the script)
syn_port() {
    CPORT=$(tshark -n -r "$T/cap/$1.pcap" -T fields -e tcp.srcport -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' 2>/dev/null | sort -u)
    [[ "$CPORT" =~ ^[0-9]+$ ]] || die "$1: expected one client port in capture, got: '$CPORT'"
}
# record NAME ARGS... -> one truth line in $T/truth/NAME.jsonl
record() { local name=$1; shift; python3 "$HELPER" conn "$@" >>"$T/truth/$name.jsonl"; }
DECODE=()   # tshark -d arguments for the cross-check, one per server port

# run_s_server_case NAME PORT SNI VERSION-FLAG CLIENT-EXTRA SERVER-EXTRA
# (s_server + s_client, -naccept 1, client port read back from the capture)
run_openssl_case() {
    local name=$1 port=$2 sni=$3 vflag=$4 cextra=$5 sextra=$6
    cap_start "$name" "$port"
    # shellcheck disable=SC2086
    openssl s_server -accept "127.0.0.1:$port" -naccept 1 $sextra <&7 >"$T/log/$name.server" 2>&1 &
    local spid=$!; PIDS+=("$spid")
    wait_listen "$port"
    # shellcheck disable=SC2086
    printf 'hello from s_client\n' | timeout 15 openssl s_client -connect "127.0.0.1:$port" \
        -servername "$sni" $vflag $cextra >"$T/log/$name.client" 2>&1 \
        || die "$name: s_client failed (see $T/log/$name.client)"
    stop "$spid"
    cap_stop
}

# ================================================================ scenarios
# Ports: servers 20101-20111, fixed python client ports 206xx.

# ---- 1. Kazakhstan-2019-shaped interception (demo) ----------------------
# A locally generated REPLICA: fresh keys, only the names imitate the 2019
# interception CA. Leaf: RSA e=3, notBefore = now - 6h, only subjectAltName.
log "PKI: Kazakhstan-shaped replica"
mkroot kz_root rsa "/C=KZ/CN=Qaznet Trust Network"
mkint  kz_int  rsa "/C=KZ/CN=Security Certificate" kz_root
genkey "$T/pki/kz_leaf.key" rsa-e3
openssl req -config "$T/pki/req.cnf" -new -key "$T/pki/kz_leaf.key" -subj "/CN=www.facebook.example" -out "$T/pki/kz_leaf.csr"
mkdir -p "$T/pki/kzca/new"; : >"$T/pki/kzca/index.txt"; openssl rand -hex 8 >"$T/pki/kzca/serial"
cat >"$T/pki/kzca/ca.cnf" <<EOF
[ ca ]
default_ca = kz
[ kz ]
dir = $T/pki/kzca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = none
email_in_dn = no
[ pol ]
commonName = supplied
EOF
# "none" stops openssl from adding its default key identifiers
printf '%s\n' "subjectAltName = DNS:www.facebook.example" "subjectKeyIdentifier = none" \
    "authorityKeyIdentifier = none" >"$T/pki/kz_leaf.ext"
openssl ca -config "$T/pki/kzca/ca.cnf" -batch -notext -in "$T/pki/kz_leaf.csr" \
    -cert "$T/pki/kz_int.pem" -keyfile "$T/pki/kz_int.key" \
    -startdate "$(date -u -d '-6 hours' +%y%m%d%H%M%SZ)" -enddate "$(date -u -d '+90 days' +%y%m%d%H%M%SZ)" \
    -extfile "$T/pki/kz_leaf.ext" -out "$T/pki/kz_leaf.pem" 2>"$T/log/kz_ca.log" \
    || die "openssl ca failed: $(cat "$T/log/kz_ca.log")"
cat_pem kz_chain.pem kz_int          # sent: leaf + intermediate, no root
N=kz-interception-tls12; P=20110
log "capture: $N"
run_openssl_case $N $P www.facebook.example -tls1_2 "" \
    "-cert $T/pki/kz_leaf.pem -key $T/pki/kz_leaf.key -cert_chain $T/pki/kz_chain.pem"
syn_port $N
record $N --client-port "$CPORT" --server-port $P --sni www.facebook.example --version 1.2 \
    --server-chain "$(hashes kz_leaf kz_int)" --scenario "Kazakhstan-2019-shaped interception replica: leaf (RSA e=3) + intermediate, no root"
DECODE+=("tcp.port==$P,tls")

# ---- 2. TLS 1.2, RSA, 3-certificate chain --------------------------------
log "PKI: RSA bank chain"
mkroot bank_root rsa "/C=XX/O=Example Bank Trust/CN=Example Bank Root CA"
mkint  bank_int  rsa "/C=XX/O=Example Bank Trust/CN=Example Bank Issuing CA 1" bank_root
mkleaf bank_leaf rsa "/CN=www.bank.example" bank_int www.bank.example bank.example
cat_pem bank_chain.pem bank_int bank_root
N=tls12-rsa-3chain; P=20101
log "capture: $N"
run_openssl_case $N $P www.bank.example -tls1_2 "" \
    "-cert $T/pki/bank_leaf.pem -key $T/pki/bank_leaf.key -cert_chain $T/pki/bank_chain.pem"
syn_port $N
record $N --client-port "$CPORT" --server-port $P --sni www.bank.example --version 1.2 \
    --server-chain "$(hashes bank_leaf bank_int bank_root)" --scenario "openssl s_server/s_client TLS 1.2, RSA, leaf+intermediate+root"
DECODE+=("tcp.port==$P,tls")

# ---- 3. TLS 1.3: chain is encrypted ---------------------------------------
log "PKI: TLS 1.3 news chain"
mkroot news_root rsa "/C=XX/O=Example News PKI/CN=Example News Root"
mkint  news_int  rsa "/C=XX/O=Example News PKI/CN=Example News Issuing CA" news_root
mkleaf news_leaf rsa "/CN=www.news.example" news_int www.news.example
cat_pem news_chain.pem news_int news_root
N=tls13-rsa; P=20104
log "capture: $N"
run_openssl_case $N $P www.news.example -tls1_3 "" \
    "-cert $T/pki/news_leaf.pem -key $T/pki/news_leaf.key -cert_chain $T/pki/news_chain.pem"
syn_port $N
record $N --client-port "$CPORT" --server-port $P --sni www.news.example --version 1.3 \
    --scenario "openssl s_server/s_client TLS 1.3: certificate chain encrypted, not observable"
DECODE+=("tcp.port==$P,tls")

# ---- 4. STARTTLS (python both ends) ---------------------------------------
log "PKI: mail chain (2 certs)"
mkroot mail_root rsa "/C=XX/O=Example Mail PKI/CN=Example Mail Root"
mkleaf mail_leaf rsa "/CN=mail.bank.example" mail_root mail.bank.example
cat_pem mail_send.pem mail_leaf mail_root
N=starttls-smtp-python; P=20108; CP=20608
log "capture: $N"
cap_start $N $P
python3 "$HELPER" starttls-server --port $P --cert "$T/pki/mail_send.pem" --key "$T/pki/mail_leaf.key" >"$T/log/$N.server" 2>&1 &
SPID=$!; PIDS+=("$SPID")
wait_listen $P
timeout 15 python3 "$HELPER" starttls-client --port $P --sport $CP --sni mail.bank.example --ca "$T/pki/mail_root.pem" \
    >"$T/log/$N.client" 2>&1 || die "$N: client failed: $(cat "$T/log/$N.client")"
stop "$SPID"
cap_stop
record $N --client-port $CP --server-port $P --sni mail.bank.example --version 1.2 \
    --server-chain "$(hashes mail_leaf mail_root)" --scenario "python ssl, SMTP-shaped STARTTLS prelude then TLS 1.2, leaf+root"
DECODE+=("tcp.port==$P,smtp")

# ---- 5. TLS 1.0 and 1.1, ECDSA P-256 --------------------------------------
log "PKI: ECDSA shop chain"
mkroot shop_root ec "/C=XX/O=Example Shop PKI/CN=Example Shop ECC Root"
mkint  shop_int  ec "/C=XX/O=Example Shop PKI/CN=Example Shop ECC Issuing CA" shop_root
mkleaf shop_leaf ec "/CN=www.shop.example" shop_int www.shop.example shop.example
cat_pem shop_chain.pem shop_int shop_root
for v in 1.0 1.1; do
    if [[ $v == 1.0 ]]; then N=tls10-ecdsa-3chain; P=20102; VF=-tls1; else N=tls11-ecdsa-3chain; P=20103; VF=-tls1_1; fi
    log "capture: $N"
    run_openssl_case $N $P www.shop.example "$VF" "-cipher DEFAULT@SECLEVEL=0" \
        "-cert $T/pki/shop_leaf.pem -key $T/pki/shop_leaf.key -cert_chain $T/pki/shop_chain.pem -cipher DEFAULT@SECLEVEL=0"
    syn_port $N
    record $N --client-port "$CPORT" --server-port $P --sni www.shop.example --version $v \
        --server-chain "$(hashes shop_leaf shop_int shop_root)" --scenario "openssl s_server/s_client TLS $v, ECDSA P-256, leaf+intermediate+root"
    DECODE+=("tcp.port==$P,tls")
done

# ---- 6. TLS 1.2 with a client certificate ---------------------------------
log "PKI: client-certificate scenario"
mkroot vpn_root rsa "/C=XX/O=Example Corp/CN=Example Corp Server Root"
mkint  vpn_int  rsa "/C=XX/O=Example Corp/CN=Example Corp Server CA" vpn_root
mkleaf vpn_leaf rsa "/CN=vpn.corp.example" vpn_int vpn.corp.example
cat_pem vpn_chain.pem vpn_int vpn_root
mkroot user_root ec "/C=XX/O=Example Corp/CN=Example Corp User Root"
mkint  user_int  ec "/C=XX/O=Example Corp/CN=Example Corp User CA" user_root
mkclient user_leaf ec "/O=Example Corp/CN=alice@corp.example" user_int
cat_pem user_chain.pem user_int
N=tls12-client-cert; P=20105
log "capture: $N"
run_openssl_case $N $P vpn.corp.example -tls1_2 \
    "-cert $T/pki/user_leaf.pem -key $T/pki/user_leaf.key -cert_chain $T/pki/user_chain.pem" \
    "-cert $T/pki/vpn_leaf.pem -key $T/pki/vpn_leaf.key -cert_chain $T/pki/vpn_chain.pem -Verify 1 -CAfile $T/pki/user_root.pem"
grep -q 'alice@corp.example' "$T/log/$N.server" || die "$N: server did not see the client certificate"
syn_port $N
record $N --client-port "$CPORT" --server-port $P --sni vpn.corp.example --version 1.2 \
    --server-chain "$(hashes vpn_leaf vpn_int vpn_root)" --client-chain "$(hashes user_leaf user_int)" \
    --scenario "openssl TLS 1.2 with client certificate (server: leaf+int+root RSA; client: leaf+int ECDSA)"
DECODE+=("tcp.port==$P,tls")

# ---- 7. TLS 1.2, big chain (leaf with 2000 SANs) ---------------------------
log "PKI: big chain (2000 SANs)"
mkroot cdn_root rsa "/C=XX/O=Example CDN/CN=Example CDN Root"
mkint  cdn_int  rsa "/C=XX/O=Example CDN/CN=Example CDN Issuing CA" cdn_root
sans=(www.cdn.example)
for i in $(seq -w 1 1999); do sans+=("svc$i.edge-pool.cdn.example"); done
mkleaf cdn_leaf rsa "/CN=www.cdn.example" cdn_int "${sans[@]}"
cat_pem cdn_chain.pem cdn_int cdn_root
N=tls12-big-chain; P=20106; CP=20606
log "capture: $N"
cap_start $N $P
openssl s_server -accept "127.0.0.1:$P" -naccept 1 -cert "$T/pki/cdn_leaf.pem" -key "$T/pki/cdn_leaf.key" \
    -cert_chain "$T/pki/cdn_chain.pem" <&7 >"$T/log/$N.server" 2>&1 &
SPID=$!; PIDS+=("$SPID")
wait_listen $P
# python client with a fixed source port (on lo, TSO/GSO means tcpdump sees a few
# large segments here; variant 7b below has Ethernet-sized ones)
timeout 15 python3 "$HELPER" tls-client --port $P --sport $CP --sni www.cdn.example --ca "$T/pki/cdn_root.pem" \
    >"$T/log/$N.client" 2>&1 || die "$N: client failed: $(cat "$T/log/$N.client")"
stop "$SPID"
cap_stop
record $N --client-port $CP --server-port $P --sni www.cdn.example --version 1.2 \
    --server-chain "$(hashes cdn_leaf cdn_int cdn_root)" --scenario "openssl s_server TLS 1.2 -> python ssl client; leaf has 2000 SANs (Certificate message ~64 KB, 5 records)"
DECODE+=("tcp.port==$P,tls")

# ---- 7b. same chain, Ethernet-sized TCP segments ---------------------------
# Python ssl server over a MemoryBIO that writes the TLS bytes to TCP 1448 bytes
# at a time (TCP_NODELAY, 1 ms apart); openssl s_client as the client.
cat_pem cdn_send.pem cdn_leaf cdn_int cdn_root
N=tls12-big-chain-segmented; P=20111
log "capture: $N"
cap_start $N $P
python3 "$HELPER" segmented-server --port $P --cert "$T/pki/cdn_send.pem" --key "$T/pki/cdn_leaf.key" \
    >"$T/log/$N.server" 2>&1 &
SPID=$!; PIDS+=("$SPID")
wait_listen $P
printf 'hello from s_client\n' | timeout 15 openssl s_client -connect "127.0.0.1:$P" -servername www.cdn.example \
    -tls1_2 >"$T/log/$N.client" 2>&1 || die "$N: s_client failed (see $T/log/$N.client)"
stop "$SPID"
cap_stop
syn_port $N
record $N --client-port "$CPORT" --server-port $P --sni www.cdn.example --version 1.2 \
    --server-chain "$(hashes cdn_leaf cdn_int cdn_root)" --scenario "python ssl server writing 1448-byte TCP segments -> openssl s_client, TLS 1.2; leaf has 2000 SANs"
DECODE+=("tcp.port==$P,tls")

# ---- 8. GnuTLS both ends, TLS 1.2 -----------------------------------------
log "PKI: GnuTLS library chain"
mkroot lib_root ec "/C=XX/O=Example Library/CN=Example Library Root"
mkint  lib_int  rsa "/C=XX/O=Example Library/CN=Example Library Issuing CA" lib_root
mkleaf lib_leaf rsa "/CN=www.library.example" lib_int www.library.example
cat_pem lib_send.pem lib_leaf lib_int lib_root
N=gnutls-tls12; P=20107
log "capture: $N"
cap_start $N $P
# gnutls-serv has no "accept once" option: it is killed by PID after the client is done.
# -a: do not ask for a client certificate.
gnutls-serv -p $P -a --http --priority NORMAL:-VERS-TLS1.3 --x509certfile "$T/pki/lib_send.pem" \
    --x509keyfile "$T/pki/lib_leaf.key" </dev/null >"$T/log/$N.server" 2>&1 &
SPID=$!; PIDS+=("$SPID")
wait_listen $P
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 15 gnutls-cli -p $P --sni-hostname www.library.example \
    --verify-hostname www.library.example --x509cafile "$T/pki/lib_root.pem" \
    --priority NORMAL:-VERS-TLS1.3 127.0.0.1 >"$T/log/$N.client" 2>&1 \
    || die "$N: gnutls-cli failed (see $T/log/$N.client)"
sleep 0.2
kill_now "$SPID"
cap_stop
syn_port $N
record $N --client-port "$CPORT" --server-port $P --sni www.library.example --version 1.2 \
    --server-chain "$(hashes lib_leaf lib_int lib_root)" --scenario "gnutls-serv/gnutls-cli TLS 1.2 (ECDSA root, RSA intermediate and leaf)"
DECODE+=("tcp.port==$P,tls")

# ---- 9. HTTP CONNECT prelude (python both ends) ---------------------------
# server sends leaf + intermediate (2 certificates)
cat_pem bank_send2.pem bank_leaf bank_int
N=http-connect-python; P=20109; CP=20609
log "capture: $N"
cap_start $N $P
python3 "$HELPER" connect-server --port $P --cert "$T/pki/bank_send2.pem" --key "$T/pki/bank_leaf.key" >"$T/log/$N.server" 2>&1 &
SPID=$!; PIDS+=("$SPID")
wait_listen $P
timeout 15 python3 "$HELPER" connect-client --port $P --sport $CP --sni www.bank.example --ca "$T/pki/bank_root.pem" \
    >"$T/log/$N.client" 2>&1 || die "$N: client failed: $(cat "$T/log/$N.client")"
stop "$SPID"
cap_stop
record $N --client-port $CP --server-port $P --sni www.bank.example --version 1.2 \
    --server-chain "$(hashes bank_leaf bank_int)" --scenario "python ssl, HTTP CONNECT prelude then TLS 1.2, leaf+intermediate"
DECODE+=("tcp.port==$P,http")

# ================================================================ outputs
log "writing fixtures and truth files"
for f in "$T"/truth/*.jsonl; do
    N=$(basename "$f" .jsonl)
    cp "$T/cap/$N.pcap" "$T/out/real/$N.pcap"
    python3 "$HELPER" expected --capture "$N.pcap" --out "$T/out/real/$N.expected.json" "$f"
done
DEMO_PARTS=(kz-interception-tls12 tls12-rsa-3chain tls13-rsa starttls-smtp-python)
DEMO_PCAPS=(); DEMO_TRUTH=()
for n in "${DEMO_PARTS[@]}"; do DEMO_PCAPS+=("$T/cap/$n.pcap"); DEMO_TRUTH+=("$T/truth/$n.jsonl"); done
# -a: concatenate in this order (also the recording order, so timestamps stay monotonic)
mergecap -F pcap -a -w "$T/out/demo.pcap" "${DEMO_PCAPS[@]}"
python3 "$HELPER" expected --capture demo.pcap --out "$T/out/demo.expected.json" "${DEMO_TRUTH[@]}"

# ---------------------------------------------------------------- cross-check (tshark)
log "cross-check with tshark (capture vs truth)"
DARGS=(); for d in "${DECODE[@]}"; do DARGS+=(--decode "$d"); done
xfail=0
for f in "$T"/out/real/*.pcap "$T/out/demo.pcap"; do
    python3 "$HELPER" crosscheck "$f" "${f%.pcap}.expected.json" "${DARGS[@]}" || xfail=1
done
if ((xfail)) && [[ "${ALLOW_MISMATCH:-0}" != 1 ]]; then
    die "tshark cross-check disagrees with the truth files; nothing copied into place"
fi

# ---------------------------------------------------------------- size limits
sz() { stat -c %s "$1"; }
(( $(sz "$T/out/demo.pcap") < 200000 )) || die "demo.pcap too big"
for f in "$T"/out/real/*.pcap; do
    lim=200000; [[ $f == *big-chain* ]] && lim=400000
    (( $(sz "$f") < lim )) || die "$(basename "$f") too big ($(sz "$f") bytes)"
done

# ---------------------------------------------------------------- install
mkdir -p "$SAMPLES" "$FIXTURES"
rm -f "$FIXTURES"/*.pcap "$FIXTURES"/*.expected.json
cp "$T"/out/real/* "$FIXTURES/"
cp "$T/out/demo.pcap" "$T/out/demo.expected.json" "$SAMPLES/"
log "done in $(( $(date +%s) - START_TS )) s"
ls -l "$SAMPLES"/demo.* "$FIXTURES"/ >&2
