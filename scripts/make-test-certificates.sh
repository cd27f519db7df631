#!/usr/bin/env bash
# Generates the certificates the X.509 differential test (Tests/X509Tests) checks the view
# against OpenSSL with: every key type, every name string type, RFC 2253 escaping, odd serials
# and dates, every extension the view reads, and structures `openssl req` cannot make
# (hand-assembled DER, re-signed with the template's key).
#
#   scripts/make-test-certificates.sh            # writes Tests/X509Tests/Fixtures/generated/*.der
#
# Needs openssl (3.x) and python3 (standard library only: DER splicing). File names are fixed;
# contents change on every run (fresh keys, current dates). Keys are not kept.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/Tests/X509Tests/Fixtures/generated"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
rm -f "$out"/*.der

cat > "$work/req.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
string_mask = utf8only
utf8 = yes
[dn]
CN = placeholder
EOF

key() {  # key NAME ALGORITHM [genpkey options...]
    local name=$1 algorithm=$2
    shift 2
    openssl genpkey -algorithm "$algorithm" "$@" -out "$work/$name.key" 2>/dev/null
}

# cert NAME KEY [openssl req options...]: a self-signed certificate, DER.
cert() {
    local name=$1 keyname=$2
    shift 2
    openssl req -config "${CONFIG:-$work/req.cnf}" -x509 -new -key "$work/$keyname.key" -days 365 -outform DER \
        -out "$out/$name.der" "$@"
}

# --- Keys ----------------------------------------------------------------------------------
key rsa1024 RSA -pkeyopt rsa_keygen_bits:1024
key rsa2048 RSA -pkeyopt rsa_keygen_bits:2048
key rsa4096 RSA -pkeyopt rsa_keygen_bits:4096
key rsa-e3 RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3
key rsa-pss RSA-PSS -pkeyopt rsa_keygen_bits:2048
key p256 EC -pkeyopt ec_paramgen_curve:P-256
key p384 EC -pkeyopt ec_paramgen_curve:P-384
key p521 EC -pkeyopt ec_paramgen_curve:P-521
key secp256k1 EC -pkeyopt ec_paramgen_curve:secp256k1
key ed25519 ED25519
key ed448 ED448
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$work/dsa.param" 2>/dev/null
openssl genpkey -paramfile "$work/dsa.param" -out "$work/dsa.key"
# Explicit curve parameters in the SubjectPublicKeyInfo (CurveBall-style), not a named curve.
openssl ecparam -name secp384r1 -param_enc explicit -genkey -noout -out "$work/p384-explicit.key"

# --- Key types -----------------------------------------------------------------------------
for k in rsa1024 rsa2048 rsa4096 rsa-e3 rsa-pss p256 p384 p521 secp256k1 p384-explicit ed25519 ed448 dsa; do
    cert "key-$k" "$k" -subj "/CN=key $k/O=mitmwatch test" -set_serial 1
done
cert key-rsa2048-sha1 rsa2048 -sha1 -subj "/CN=sha1 signature"
cert key-p384-sha512 p384 -sha512 -subj "/CN=ecdsa sha512"

# --- Names through openssl req (string_mask and -multivalue-rdn) ------------------------------
for mask in default pkix nombstr utf8only; do
    sed "s/^string_mask = .*/string_mask = $mask/" "$work/req.cnf" > "$work/mask-$mask.cnf"
    wide="/ST=Астана/OU=北京 unit"
    [ "$mask" = nombstr ] && wide=""  # no BMPString or UTF8String: T61String for Latin-1 only
    CONFIG="$work/mask-$mask.cnf" cert "name-mask-$mask" p256 -utf8 \
        -subj "/C=KZ$wide/L=Zürich/O=Qaznet Trust Network/CN=mask $mask é/emailAddress=ca@example.kz"
done
cert name-multivalue-req p256 -multivalue-rdn -subj "/CN=one+O=two+OU=three/C=DE/DC=example+DC=org"
cert name-escapes-req p256 -utf8 -subj '/CN=a\,b\+c"d\\e<f>g;h/O=#hash/OU= lead/L=trail /ST=mid  dle'
cert name-known-attributes p256 -subj "/serialNumber=0042/street=Main St 1/postalCode=12345/title=Dr./GN=Ada/SN=Lovelace/initials=AL/pseudonym=ada/UID=ada01/businessCategory=Private Organization/jurisdictionC=KZ/jurisdictionST=Almaty/organizationIdentifier=VATKZ-123/dnQualifier=q1/generationQualifier=III/x500UniqueIdentifier=u/CN=known"

# --- Serials and dates via openssl req ------------------------------------------------------
cert serial-zero p256 -subj "/CN=serial 0" -set_serial 0
cert serial-negative p256 -subj "/CN=serial -5" -set_serial -5
cert serial-negative-long p256 -subj "/CN=serial negative long" -set_serial -0x0102030405060708090A0B0C0D0E0F1011121314
cert serial-20-bytes p256 -subj "/CN=serial 20 bytes" -set_serial 0x7F112233445566778899AABBCCDDEEFF00112233
cert serial-20-bytes-high-bit p256 -subj "/CN=serial 21 octets with sign byte" -set_serial 0x80112233445566778899AABBCCDDEEFF00112233
cert serial-21-bytes p256 -subj "/CN=serial 21 bytes" -set_serial 0x7F112233445566778899AABBCCDDEEFF0011223344
cert dates-after-2050 p256 -subj "/CN=until 2090" -days 23000

# --- Extensions via openssl req -----------------------------------------------------------
sct() {  # a TLS-encoded SignedCertificateTimestampList with $1 fake v1 SCTs, as DER:04..
    python3 - "$1" <<'PY'
import sys
count = int(sys.argv[1])
scts = b""
for i in range(count):
    body = bytes([0]) + bytes([i + 1]) * 32 + (1700000000000 + i).to_bytes(8, "big") + b"\x00\x00" \
        + bytes([4, 3]) + (8).to_bytes(2, "big") + bytes(range(8))
    scts += len(body).to_bytes(2, "big") + body
lst = len(scts).to_bytes(2, "big") + scts
def length(n):
    if n < 0x80: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b
print("04" + (length(len(lst)) + lst).hex())
PY
}
cert ext-all p256 -subj "/CN=every extension" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:3" \
    -addext "keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment,keyAgreement,keyCertSign,cRLSign,encipherOnly,decipherOnly" \
    -addext "extendedKeyUsage=serverAuth,clientAuth,codeSigning,emailProtection,timeStamping,OCSPSigning,1.3.6.1.4.1.311.10.3.4,1.2.3.4.5" \
    -addext "subjectKeyIdentifier=hash" \
    -addext "authorityKeyIdentifier=keyid:always" \
    -addext "subjectAltName=DNS:example.com,DNS:*.example.com,IP:192.0.2.1,IP:2001:db8::1,IP:::,IP:fe80::1:0:0:ff,email:admin@example.com,URI:https://example.com/path?q=1,DNS:xn--bcher-kva.example" \
    -addext "1.3.6.1.4.1.11129.2.4.2=DER:$(sct 3)" \
    -addext "authorityInfoAccess=OCSP;URI:http://ocsp.example.com,caIssuers;URI:http://ca.example.com/ca.der,OCSP;URI:http://ocsp2.example.com" \
    -addext "crlDistributionPoints=URI:http://crl.example.com/a.crl,URI:ldap://crl.example.com/cn=b" \
    -addext "certificatePolicies=2.23.140.1.2.1,1.3.6.1.4.1.44947.1.1.1,2.5.29.32.0" \
    -addext "1.2.3.4.5.6.7=critical,DER:0500"
cert ext-bc-ca-no-pathlen p256 -subj "/CN=CA without pathlen" -addext "basicConstraints=critical,CA:TRUE"
cert ext-bc-ca-pathlen-0 p256 -subj "/CN=CA pathlen 0" -addext "basicConstraints=critical,CA:TRUE,pathlen:0"
cert ext-bc-not-ca p256 -subj "/CN=not a CA" -addext "basicConstraints=CA:FALSE"
cert ext-ku-digital-signature p256 -subj "/CN=ku one bit" -addext "keyUsage=digitalSignature"
cert ext-ku-decipher-only p256 -subj "/CN=ku bit 8" -addext "keyUsage=keyAgreement,decipherOnly"
cert ext-aki-issuer-serial p256 -subj "/CN=aki with issuer and serial" \
    -addext "subjectKeyIdentifier=hash" -addext "authorityKeyIdentifier=keyid:always,issuer:always"
cert ext-sct-one p256 -subj "/CN=one sct" -addext "1.3.6.1.4.1.11129.2.4.2=DER:$(sct 1)"
cert ext-sct-empty p256 -subj "/CN=empty sct list" -addext "1.3.6.1.4.1.11129.2.4.2=DER:04020000"
cert ext-unknown-critical p256 -subj "/CN=unknown critical" -addext "1.3.6.1.4.1.99999.1=critical,DER:0101FF"
cert ext-san-ip-only p256 -subj "/CN=ip" -addext "subjectAltName=IP:10.0.0.1,IP:255.255.255.255,IP:::ffff:192.0.2.1"
cert ext-san-other-kinds p256 -subj "/CN=other general names" \
    -addext "subjectAltName=RID:1.2.3.4,dirName:dir_sect,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.com,DNS:after.example" \
    -config <(cat "$work/req.cnf"; printf '[dir_sect]\nCN = directory name\n')
cert ext-policies-qualifiers p256 -subj "/CN=policy qualifiers" \
    -addext "certificatePolicies=@pol,1.2.3" \
    -config <(cat "$work/req.cnf"; printf '[pol]\npolicyIdentifier = 2.23.140.1.2.2\nCPS.1 = https://cps.example.com\n')
cert ext-crldp-issuer-relative p256 -subj "/CN=crl dp variants" \
    -addext "crlDistributionPoints=dp1,URI:http://crl.example.com/full.crl" \
    -config <(cat "$work/req.cnf"; printf '[dp1]\nrelativename = rel\nCRLissuer = URI:http://issuer.example\n[rel]\nCN = relative\n')

# 2000 subjectAltName entries.
{
    cat "$work/req.cnf"
    printf '[big]\nsubjectAltName = @alt\n[alt]\n'
    for i in $(seq 1 2000); do printf 'DNS.%d = host-%04d.example.com\n' "$i" "$i"; done
} > "$work/big.cnf"
CONFIG="$work/big.cnf" cert ext-san-2000 p256 -subj "/CN=2000 names" -extensions big

# --- Hand-assembled DER ----------------------------------------------------------------------
# splice.py TEMPLATE.der KEY OUT.der [changes…]: re-encodes the template's TBSCertificate with
# the changes, signs it with KEY (openssl dgst) and writes the certificate.
cat > "$work/splice.py" <<'PY'
import subprocess, sys

def length(n):
    if n < 0x80: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b

def tlv(tag, content): return bytes([tag]) + length(len(content)) + content

def read(data, i):
    tag = data[i]; i += 1
    n = data[i]; i += 1
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(data[i:i + k], "big"); i += k
    return tag, data[i:i + n], i + n

def children(data):
    out, i = [], 0
    while i < len(data):
        start = i
        tag, content, i = read(data, i)
        out.append((tag, content, data[start:i]))
    return out

def oid(text):
    arcs = [int(a) for a in text.split(".")]
    body = [40 * arcs[0] + arcs[1]] + arcs[2:]
    out = b""
    for arc in body:
        chunk = [arc & 0x7f]
        arc >>= 7
        while arc: chunk.insert(0, 0x80 | (arc & 0x7f)); arc >>= 7
        out += bytes(chunk)
    return tlv(0x06, out)

STRING_TAGS = {"utf8": 12, "printable": 19, "t61": 20, "ia5": 22, "bmp": 30, "universal": 28,
               "numeric": 18, "visible": 26, "general": 27, "octet": 4, "integer": 2}

def value(spec):
    kind, _, text = spec.partition(":")
    if kind == "hex":  # a whole encoded element
        return bytes.fromhex(text)
    raw = bytes.fromhex(text[4:]) if text.startswith("hex=") else None
    tag = STRING_TAGS[kind]
    if raw is None:
        if kind == "bmp": raw = text.encode("utf-16-be")
        elif kind == "universal": raw = text.encode("utf-32-be")
        elif kind in ("t61",): raw = text.encode("latin-1")
        else: raw = text.encode("utf-8")
    return tlv(tag, raw)

def name(spec):
    """RDNs separated by ' / ', attributes in an RDN by ' + ', each TYPEOID=KIND:TEXT."""
    if spec == "": return tlv(0x30, b"")
    rdns = b""
    for rdn in spec.split(" / "):
        attributes = b""
        if rdn != "{}":
            for attribute in rdn.split(" + "):
                type_, _, v = attribute.partition("=")
                attributes += tlv(0x30, oid(type_) + value(v))
        rdns += tlv(0x31, attributes)
    return tlv(0x30, rdns)

def main():
    template, key, output = sys.argv[1:4]
    changes = sys.argv[4:]
    cert = open(template, "rb").read()
    _, certificate, _ = read(cert, 0)
    tbs_element, algorithm, signature = children(certificate)
    fields = children(tbs_element[1])
    named = {}
    order = ["version", "serial", "signature", "issuer", "validity", "subject", "spki"]
    index = 0
    for field in fields:
        if index == 0 and field[0] != 0xa0: index = 1
        if index < len(order): named[order[index]] = field[2]
        elif field[0] == 0xa3: named["extensions"] = field[2]
        index += 1
    outer_algorithm = algorithm[2]
    extensions = [e[2] for e in children(children(named["extensions"][2:] if False else read(named["extensions"], 0)[1])[0][1])] if "extensions" in named else []
    for change in changes:
        what, _, arg = change.partition("=")
        if what == "serial-hex": named["serial"] = tlv(0x02, bytes.fromhex(arg))
        elif what == "version":
            if arg == "none": named.pop("version", None)
            else: named["version"] = tlv(0xa0, tlv(0x02, bytes([int(arg)])))
        elif what == "issuer": named["issuer"] = name(arg)
        elif what == "subject": named["subject"] = name(arg)
        elif what == "name": named["issuer"] = named["subject"] = name(arg)
        elif what == "validity":
            a, b = arg.split(",")
            def t(x): return tlv(0x18 if x.startswith("G") else 0x17, x[1:].encode())
            named["validity"] = tlv(0x30, t(a) + t(b))
        elif what == "add-extension":  # OID,critical(0/1/f),HEX of extnValue contents
            o, critical, contents = arg.split(",")
            flag = {"1": tlv(0x01, b"\xff"), "f": tlv(0x01, b"\x00"), "0": b""}[critical]  # f: explicit FALSE (BER)
            extensions.append(tlv(0x30, oid(o) + flag
                                  + tlv(0x04, bytes.fromhex(contents))))
        elif what == "no-extensions": extensions = []
        elif what == "outer-algorithm": outer_algorithm = tlv(0x30, oid(arg))
        elif what == "unique-ids":
            named["uids"] = tlv(0x81, b"\x00\x01\x02") + tlv(0x82, b"\x00\x03\x04")
        else: raise SystemExit("unknown change " + change)
    tbs = b"".join(named[k] for k in order if k in named) + named.get("uids", b"")
    if extensions: tbs += tlv(0xa3, tlv(0x30, b"".join(extensions)))
    tbs = tlv(0x30, tbs)
    digest = "-sha256"
    signed = subprocess.run(["openssl", "dgst", digest, "-sign", key], input=tbs, capture_output=True, check=True).stdout
    out = tlv(0x30, tbs + outer_algorithm + tlv(0x03, b"\x00" + signed))
    open(output, "wb").write(out)

main()
PY

# A plain P-256 template (ecdsa-with-SHA256 matches the dgst -sha256 signature).
cert template p256 -subj "/CN=template" -set_serial 7 -addext "subjectKeyIdentifier=hash"
template="$out/template.der"
splice() {  # splice NAME changes…
    local name=$1
    shift
    python3 "$work/splice.py" "$template" "$work/p256.key" "$out/$name.der" "$@"
}

CN=2.5.4.3; O=2.5.4.10; OU=2.5.4.11; C=2.5.4.6; L=2.5.4.7; ST=2.5.4.8
splice name-string-types "name=$CN=utf8:café ☕ / $O=printable:Printable Org / $OU=t61:hex=4d75656c6c6572e9 / $L=ia5:ia5 locality / $ST=bmp:Zürich 北京 / 2.5.4.9=universal:𝄞 clef / 2.5.4.5=numeric:0123 456"
# OpenSSL rejects these (its X509_NAME_ENTRY value is an MSTRING without VisibleString, GeneralString,
# INTEGER, OCTET STRING or NULL; and it refuses invalid UTF-8): documented quirks in the test.
splice name-visible-string "name=$CN=utf8:visible / 2.5.4.12=visible:Visible~Title"
splice name-invalid-utf8 "name=$CN=utf8:hex=c3 / $O=utf8:hex=ff41"
splice name-rfc2253-escapes "name=$CN=utf8:,+\"\\<>; / $O=utf8:#leading hash / $OU=utf8: leading space / $L=utf8:trailing space  / $ST=utf8:mid#dle  spaces / 2.5.4.9=utf8:#"
splice name-single-characters "name=$CN=utf8:  / $O=utf8:# / $OU=utf8:, / $L=printable:x"
splice name-control-characters "name=$CN=utf8:hex=61000162 / $O=utf8:hex=1f7f0a0d09 / $OU=ia5:hex=80ff41"
splice name-non-ascii "name=$CN=utf8:日本語 ελληνικά / $OU=t61:hex=a0ffe9 / $L=bmp:hex=00e94e2d / $ST=universal:hex=0001f600"
splice name-bmp-surrogates "name=$CN=bmp:hex=d83dde00"
splice name-multivalued "name=$C=printable:US / $O=utf8:Org + $OU=utf8:Unit + $CN=utf8:Name / $CN=utf8:last"
splice name-unknown-oids "name=1.2.3.4.5=utf8:unknown / 2.999.1=printable:two nine / 1.3.6.1.4.1.99999.7=hex:3003020105 / 1.3.6.1.4.1.99999.8=hex:03020780 / $CN=utf8:known"
splice name-known-type-odd-values "name=$CN=integer:hex=0101 / $O=octet:hex=abcd / $OU=hex:0500 / $L=general:general string"
splice name-email-dc "name=0.9.2342.19200300.100.1.25=ia5:example / 0.9.2342.19200300.100.1.25=ia5:com / 1.2.840.113549.1.9.1=ia5:who@example.com / $CN=utf8:dc"
splice name-empty-subject "subject=" "add-extension=2.5.29.17,1,300f820d656d7074792e6578616d706c65"
splice name-empty-issuer-and-subject "name="
splice name-long-value "name=$CN=utf8:$(printf 'x%.0s' $(seq 1 300))"
splice name-empty-rdn "name=$CN=utf8:before / {} / $O=utf8:after"
splice name-bmp-odd-length "name=$CN=bmp:hex=004100"
splice name-universal-bad-length "name=$CN=universal:hex=000000410042"
splice name-empty-values "name=$CN=utf8: / $O=printable: / $OU=bmp:"

splice serial-minus-one "serial-hex=ff"
splice serial-non-minimal "serial-hex=0001"
splice serial-empty "serial-hex="
splice serial-40-bytes "serial-hex=$(printf '5a%.0s' $(seq 1 40))"

splice dates-generalized-past-2050 "validity=G20200101000000Z,G20600101000000Z"
splice dates-before-1970 "validity=U650101000000Z,U691231235959Z"
splice dates-generalized-1900 "validity=G19000101000000Z,G99991231235959Z"
splice dates-utc-boundaries "validity=U500101000000Z,U491231235959Z"
splice dates-generalized-before-2050 "validity=G20300101000000Z,G20400229120000Z"
splice dates-fractional-seconds "validity=G20300101000000.5Z,G20400101000000.123Z"
splice dates-leap-second "validity=U161231235960Z,U300101000000Z"
splice dates-utc-no-seconds "validity=U3001010000Z,U4001010000Z"
splice dates-utc-offset "validity=U300101000000+0100,U400101000000-0530"

splice version-1 "version=none" "no-extensions"
splice version-2-unique-ids "version=1" "no-extensions" "unique-ids"
splice version-3-unique-ids "unique-ids"
splice version-1-with-extensions "version=none"
splice signature-algorithm-mismatch "outer-algorithm=1.2.840.10045.4.3.3"

splice ext-duplicate-san "add-extension=2.5.29.17,0,300c820a66697273742e74657374" "add-extension=2.5.29.17,0,300d820b7365636f6e642e74657374"
splice ext-duplicate-unknown "add-extension=1.2.3.4,0,0500" "add-extension=1.2.3.4,0,0500"
splice ext-duplicate-basic-constraints "add-extension=2.5.29.19,1,30030101ff" "add-extension=2.5.29.19,1,3000"
splice ext-malformed-basic-constraints "add-extension=2.5.29.19,1,3003020101ff"
splice ext-malformed-key-usage "add-extension=2.5.29.15,1,0400"
splice ext-malformed-san "add-extension=2.5.29.17,0,3003820161ff"
splice ext-malformed-sct "add-extension=1.3.6.1.4.1.11129.2.4.2,0,0403000501"
splice ext-critical-false-explicit "add-extension=2.5.29.37,f,300a06082b06010505070301"
splice ext-key-usage-empty "add-extension=2.5.29.15,1,030100"
splice ext-key-usage-long "add-extension=2.5.29.15,1,030300ff80"
splice ext-san-bad-ip-length "add-extension=2.5.29.17,0,30078705c0000201ff"
splice ext-bc-pathlen-large "add-extension=2.5.29.19,1,30090101ff020401000000"
rm -f "$template"

count=$(ls "$out"/*.der | wc -l)
size=$(du -sk "$out" | cut -f1)
echo "wrote $count certificates to $out (${size} KiB)"
