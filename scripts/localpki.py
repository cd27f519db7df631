"""A deterministic local PKI for the bench capture (make-bench-capture.py --variant local-pki):
RSA-2048 CAs and P-256 leaves, X.509 v3 certificates and RFC 6962 SCT lists, built from a seed
with the Python 3 standard library only (hand-assembled DER, PKCS#1 v1.5 signatures), so the
same seed gives the same bytes on every machine. Keys are generated here (RSA: Miller-Rabin on
seeded, sieved candidates) and are not kept; make-bench-capture.py has OpenSSL check the result."""

import base64
import datetime
import hashlib
import random

# --- DER ---------------------------------------------------------------------------------------


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def set_of(*parts):
    return tlv(0x31, b"".join(parts))


def integer(value):
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")  # room for a sign bit
    return tlv(0x02, raw)


def oid(dotted):
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytes([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, body)


def octets(body):
    return tlv(0x04, body)


def bits(body):
    return tlv(0x03, b"\x00" + body)


def boolean(value):
    return tlv(0x01, b"\xff" if value else b"\x00")


def utf8(text):
    return tlv(0x0C, text.encode())


def printable(text):
    return tlv(0x13, text.encode())


def time(moment):
    """UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5)."""
    if moment.year < 2050:
        return tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode())


NULL = b"\x05\x00"
SHA256_RSA = seq(oid("1.2.840.113549.1.1.11"), NULL)
RSA_ENCRYPTION = seq(oid("1.2.840.113549.1.1.1"), NULL)
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def name(country, organization, common_name):
    return seq(set_of(seq(oid("2.5.4.6"), printable(country))),
               set_of(seq(oid("2.5.4.10"), utf8(organization))),
               set_of(seq(oid("2.5.4.3"), utf8(common_name))))


def extension(dotted, critical, value):
    return seq(oid(dotted), boolean(True) if critical else b"", octets(value))


# --- RSA (the CAs' keys: they sign) ------------------------------------------------------------

SIEVE_PRIMES = [p for p in range(3, 50_000, 2) if all(p % q for q in range(3, int(p ** 0.5) + 1, 2))]


def miller_rabin(n, rng, rounds):
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def prime(rng, size, e):
    """The first prime from a random odd start (top two bits set) with gcd(p - 1, e) = 1: the
    interval is sieved with the primes below 50,000, so only a few candidates cost a modexp."""
    while True:
        start = rng.getrandbits(size) | (3 << (size - 2)) | 1
        span = 8192
        composite = bytearray(span)  # composite[i]: start + 2i has a small factor
        for p in SIEVE_PRIMES:
            first = (-start * pow(2, -1, p)) % p
            composite[first::p] = b"\x01" * len(range(first, span, p))
        for i in range(span):
            candidate = start + 2 * i
            if composite[i] or (candidate - 1) % e == 0 or candidate.bit_length() != size:
                continue
            if pow(2, candidate - 1, candidate) == 1 and miller_rabin(candidate, rng, 24):
                return candidate


class RSAKey:
    """RSA with e = 65537 and a modulus of `size` bits, from `rng` (deterministic)."""

    def __init__(self, rng, size=2048):
        self.e = 65537
        while True:
            p, q = prime(rng, size // 2, self.e), prime(rng, size // 2, self.e)
            n = p * q
            if p != q and n.bit_length() == size:
                break
        self.n = n
        self.d = pow(self.e, -1, (p - 1) * (q - 1))

    def spki(self):
        return seq(RSA_ENCRYPTION, bits(seq(integer(self.n), integer(self.e))))

    def key_id(self):
        """RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits."""
        return hashlib.sha1(seq(integer(self.n), integer(self.e))).digest()

    def sign(self, message):
        """RSASSA-PKCS1-v1_5 with SHA-256 (deterministic)."""
        size = (self.n.bit_length() + 7) // 8
        digest = SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(message).digest()
        encoded = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
        return pow(int.from_bytes(encoded, "big"), self.d, self.n).to_bytes(size, "big")


# --- P-256 (the leaves' keys: only their public half is needed) ---------------------------------

P256_P = 2 ** 256 - 2 ** 224 + 2 ** 192 + 2 ** 96 - 1
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def p256_add(a, b):
    """Affine point addition (None is the point at infinity)."""
    if a is None:
        return b
    if b is None:
        return a
    (x1, y1), (x2, y2) = a, b
    if x1 == x2 and (y1 + y2) % P256_P == 0:
        return None
    if a == b:
        slope = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P256_P) % P256_P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P256_P) % P256_P
    x3 = (slope * slope - x1 - x2) % P256_P
    return x3, (slope * (x1 - x3) - y1) % P256_P


class P256Key:
    """An ECDSA P-256 key from `rng`: the private scalar, and the public point d·G."""

    def __init__(self, rng):
        self.d = rng.randrange(1, P256_N)
        point, addend, k = None, P256_G, self.d
        while k:
            if k & 1:
                point = p256_add(point, addend)
            addend, k = p256_add(addend, addend), k >> 1
        x, y = point
        assert (y * y - (x * x * x - 3 * x + P256_B)) % P256_P == 0, "not on the curve"
        self.point = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")

    def spki(self):
        return seq(seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), bits(self.point))

    def key_id(self):
        return hashlib.sha1(self.point).digest()


# --- Certificates ------------------------------------------------------------------------------

SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2"


def sct_list(rng, count, issued):
    """An RFC 6962 SignedCertificateTimestampList of `count` v1 SCTs: random log ids, timestamps
    at issuance, no extensions, ecdsa/sha256 signatures that are well-formed DER but sign
    nothing (mitmwatch counts SCTs; nothing checks a log's signature)."""
    millis = int(issued.timestamp() * 1000)
    entries = b""
    for index in range(count):
        r, s = rng.getrandbits(256), rng.getrandbits(256)
        signature = seq(integer(r), integer(s))
        sct = (b"\x00" + rng.randbytes(32) + (millis + 1000 * index).to_bytes(8, "big") + b"\x00\x00"
               + b"\x04\x03" + len(signature).to_bytes(2, "big") + signature)
        entries += len(sct).to_bytes(2, "big") + sct
    return octets(len(entries).to_bytes(2, "big") + entries)


def certificate(serial, issuer_name, issuer_key, subject_name, subject_key, not_before, not_after, extensions):
    tbs = seq(tlv(0xA0, integer(2)), integer(serial), SHA256_RSA, issuer_name,
              seq(time(not_before), time(not_after)), subject_name, subject_key.spki(),
              tlv(0xA3, seq(*extensions)))
    return seq(tbs, SHA256_RSA, bits(issuer_key.sign(tbs)))


def ca_extensions(subject_key, issuer_key, path_length=None):
    constraints = boolean(True) + (integer(path_length) if path_length is not None else b"")
    parts = [extension("2.5.29.19", True, tlv(0x30, constraints)),
             extension("2.5.29.15", True, tlv(0x03, b"\x01\x06")),  # keyCertSign, cRLSign
             extension("2.5.29.14", False, octets(subject_key.key_id()))]
    if issuer_key is not subject_key:
        parts.append(extension("2.5.29.35", False, seq(tlv(0x80, issuer_key.key_id()))))
        parts.append(extension("2.5.29.37", False, seq(oid("1.3.6.1.5.5.7.3.1"))))  # serverAuth
    return parts


def leaf_extensions(subject_key, issuer_key, names, scts):
    san = seq(*[tlv(0x82, n.encode()) for n in names])
    parts = [extension("2.5.29.15", True, tlv(0x03, b"\x07\x80")),  # digitalSignature (an EC key)
             extension("2.5.29.37", False, seq(oid("1.3.6.1.5.5.7.3.1"))),
             extension("2.5.29.19", True, seq()),
             extension("2.5.29.14", False, octets(subject_key.key_id())),
             extension("2.5.29.35", False, seq(tlv(0x80, issuer_key.key_id()))),
             extension("2.5.29.17", False, san)]
    if scts is not None:
        parts.append(extension(SCT_LIST_OID, False, scts))
    return parts


def pem(der):
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def utc(year, month, day):
    return datetime.datetime(year, month, day, tzinfo=datetime.timezone.utc)


class LocalPKI:
    """A root, two issuing intermediates and leaves for `name_count` server names, `renewed`
    of which also have a second (renewed) leaf valid at the same time: name_count + renewed
    distinct chains. Leaves in `with_scts` (chain indices) embed an SCT list; the rest embed
    none. Every date lies between 2024 and 2027, and everything is valid at `at`."""

    def __init__(self, seed, names, renewed, with_scts, at):
        rng = random.Random(seed)
        self.root_key = RSAKey(rng)
        self.root_name = name("XX", "mitmwatch bench", "mitmwatch Bench Root CA")
        self.root = certificate(1, self.root_name, self.root_key, self.root_name, self.root_key,
                                utc(2024, 1, 1), utc(2034, 1, 1), ca_extensions(self.root_key, self.root_key))
        self.intermediates = []
        for index in range(2):
            key = RSAKey(rng)
            subject = name("XX", "mitmwatch bench", f"mitmwatch Bench Issuing CA {index + 1}")
            der = certificate(0x100 + index, self.root_name, self.root_key, subject, key,
                              utc(2024, 3, 1), utc(2029, 3, 1), ca_extensions(key, self.root_key, path_length=0))
            self.intermediates.append({"key": key, "name": subject, "der": der})
        self.chains = []  # {"name", "leaf", "intermediate", "scts"}
        plan = [(host, 0) for host in range(len(names))] + [(host, 1) for host in range(len(names) - renewed, len(names))]
        for index, (host, generation) in enumerate(plan):
            issuer = self.intermediates[(host + generation) % 2]
            key = P256Key(rng)
            # First leaves: issued 2026-01..04, 397 days. Renewals: issued 2026-05, while the
            # first one is still valid (both are served, as during a rollout).
            issued = utc(2026, 1 + host % 4, 1 + host) if generation == 0 else utc(2026, 5, 1 + host % 20)
            expires = issued + datetime.timedelta(days=397)
            assert issued <= at < expires, (names[host], issued, at)
            scts = sct_list(rng, 2 + index % 2, issued) if index in with_scts else None
            der = certificate(rng.getrandbits(127) | (1 << 126), issuer["name"], issuer["key"],
                              name("XX", "mitmwatch bench", names[host]), key, issued, expires,
                              leaf_extensions(key, issuer["key"], [names[host]], scts))
            self.chains.append({"name": names[host], "host": host, "leaf": der, "intermediate": issuer["der"],
                                "scts": 0 if scts is None else 2 + index % 2})
