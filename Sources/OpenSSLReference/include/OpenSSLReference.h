#ifndef MITMWATCH_OPENSSL_REFERENCE_H
#define MITMWATCH_OPENSSL_REFERENCE_H

/*
 * The reference implementation the certificate view is checked against: OpenSSL 3.0's own
 * X.509 parser (d2i_X509 and the public getters), nothing of mitmwatch's.
 *
 * Used by Tests/X509Tests (field-by-field differential test) and by the benchmark
 * (Sources/Bench), which times `mw_ref_extract` against `CertificateView`.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every field mitmwatch's certificate view extracts, as OpenSSL sees it, without string
 * formatting. Filled by `mw_ref_extract`; all values are copies (nothing points into OpenSSL
 * objects, which are freed before it returns). Counts are -1 when the extension is absent or
 * OpenSSL could not decode it.
 */
struct mw_ref_fields {
    int version;                    /* 1, 2 or 3 (X509_get_version + 1) */
    uint8_t serial[64];             /* INTEGER content octets (two's complement, as in the DER) */
    size_t serial_length;           /* may exceed sizeof serial: then only the first 64 are copied */
    int signature_nid;              /* outer signatureAlgorithm (NID_undef when OpenSSL does not know it) */
    int public_key_nid;             /* SubjectPublicKeyInfo algorithm */
    int curve_nid;                  /* EC named curve (or any OID parameter), NID_undef when none */
    int public_key_bits;            /* EVP_PKEY_get_bits, -1 when OpenSSL cannot load the key */
    size_t issuer_der_length;       /* X509_NAME_get0_der of the issuer */
    size_t subject_der_length;
    int64_t not_before;             /* seconds since the epoch (ASN1_TIME_to_tm) */
    int64_t not_after;
    uint32_t extension_flags;       /* X509_get_extension_flags (EXFLAG_*) */
    uint32_t key_usage;             /* X509_get_key_usage (KU_* bits; UINT32_MAX when absent) */
    uint32_t extended_key_usage;    /* X509_get_extended_key_usage (XKU_* bits) */
    int is_ca;                      /* -1 absent, 0, 1 */
    long path_length;               /* X509_get_pathlen (-1 when none) */
    int subject_key_id_length;      /* -1 when absent */
    int authority_key_id_length;    /* -1 when absent */
    int extension_count;            /* X509_get_ext_count */
    int san_count;                  /* GENERAL_NAMEs in subjectAltName */
    int sct_count;                  /* SCTs in the embedded SCT list */
    int aia_count;                  /* AccessDescriptions in authorityInfoAccess */
    int crl_dp_count;               /* DistributionPoints */
    int policy_count;               /* PolicyInformations */
};

/*
 * Parses `der` with d2i_X509 (which must consume exactly `length` bytes) and fills `out`.
 * Returns 1 on success, 0 when OpenSSL rejects the certificate (then `out` is zeroed).
 */
int mw_ref_extract(const uint8_t *der, size_t length, struct mw_ref_fields *out);

/*
 * One DER-encoded UTCTime or GeneralizedTime element, read by d2i_ASN1_TIME and ASN1_TIME_to_tm:
 * its seconds since the epoch and OpenSSL's broken-down time as RFC 3339 text
 * (`%04d-%02d-%02dT%02d:%02d:%02dZ`, NUL-terminated, in `text`). Returns 1, or 0 when OpenSSL
 * cannot read it ("Bad time value" in `openssl x509 -dates`).
 */
int mw_ref_time(const uint8_t *der, size_t length, int64_t *seconds, char *text, size_t capacity);

/*
 * Parses `der` and writes one JSON object (UTF-8, NUL-terminated) describing it with OpenSSL's
 * getters: version, serial (uppercase hex of the INTEGER content octets), signature_oid,
 * public_key_oid, curve_oid, public_key_bits, rsa_exponent, issuer, subject (RFC 2253 as
 * `openssl x509 -nameopt RFC2253`), not_before, not_after (epoch seconds), not_before_text,
 * not_after_text (the dates as mw_ref_time writes them), sha256, sha1,
 * spki_sha256, is_ca, path_len, key_usage, extended_key_usage, subject_key_identifier,
 * authority_key_identifier, san_dns, san_ip, san_email, san_uri, sct_count, ocsp, ca_issuers,
 * crl_uris, policies, extensions [{oid, critical}], duplicate_extensions, parse_ok.
 * Keys are omitted when the certificate lacks the field. Bytes outside printable ASCII in
 * strings are written as \u00XX (one code point per byte, i.e. Latin-1).
 *
 * Returns the length of the whole JSON text (without the NUL), like snprintf: when it is
 * >= capacity the output was cut and the caller should retry with more room. -1 on failure
 * to allocate.
 */
int mw_ref_describe(const uint8_t *der, size_t length, char *out, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
