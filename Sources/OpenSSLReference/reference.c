// The OpenSSL side of the differential test and of the benchmark. Only OpenSSL 3.0 public API.

#include "OpenSSLReference.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ct.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// MARK: Shared helpers

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil), so
/// dates before 1970 and after 2038 need no timegm.
static int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t year_of_era = y - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/// Seconds since the epoch of an ASN1_TIME, through ASN1_TIME_to_tm, and (when `text` is not
/// NULL) OpenSSL's broken-down time as RFC 3339, `%04d-%02d-%02dT%02d:%02d:%02dZ`. 0 when OpenSSL
/// cannot read it.
static int time_to_epoch_text(const ASN1_TIME *time, int64_t *seconds, char *text, size_t capacity) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (time == NULL || !ASN1_TIME_to_tm(time, &tm)) return 0;
    int64_t days = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    *seconds = days * 86400 + (int64_t)tm.tm_hour * 3600 + (int64_t)tm.tm_min * 60 + tm.tm_sec;
    if (text != NULL) {
        snprintf(text, capacity, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    return 1;
}

static int time_to_epoch(const ASN1_TIME *time, int64_t *seconds) {
    return time_to_epoch_text(time, seconds, NULL, 0);
}

/// Parses exactly `length` bytes; NULL when OpenSSL rejects them or leaves bytes over.
static X509 *parse(const uint8_t *der, size_t length) {
    if (length > 0x7fffffff) return NULL;
    const unsigned char *cursor = der;
    X509 *x = d2i_X509(NULL, &cursor, (long)length);
    if (x != NULL && cursor != der + length) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int stack_count(void *decoded, int nid) {
    if (decoded == NULL) return -1;
    switch (nid) {
    case NID_subject_alt_name: return sk_GENERAL_NAME_num((GENERAL_NAMES *)decoded);
    case NID_ct_precert_scts: return sk_SCT_num((STACK_OF(SCT) *)decoded);
    case NID_info_access: return sk_ACCESS_DESCRIPTION_num((AUTHORITY_INFO_ACCESS *)decoded);
    case NID_crl_distribution_points: return sk_DIST_POINT_num((CRL_DIST_POINTS *)decoded);
    case NID_certificate_policies: return sk_POLICYINFO_num((CERTIFICATEPOLICIES *)decoded);
    default: return -1;
    }
}

static void free_decoded(void *decoded, int nid) {
    if (decoded == NULL) return;
    switch (nid) {
    case NID_subject_alt_name: GENERAL_NAMES_free((GENERAL_NAMES *)decoded); break;
    case NID_ct_precert_scts: SCT_LIST_free((STACK_OF(SCT) *)decoded); break;
    case NID_info_access: AUTHORITY_INFO_ACCESS_free((AUTHORITY_INFO_ACCESS *)decoded); break;
    case NID_crl_distribution_points: CRL_DIST_POINTS_free((CRL_DIST_POINTS *)decoded); break;
    case NID_certificate_policies: CERTIFICATEPOLICIES_free((CERTIFICATEPOLICIES *)decoded); break;
    case NID_basic_constraints: BASIC_CONSTRAINTS_free((BASIC_CONSTRAINTS *)decoded); break;
    case NID_key_usage: ASN1_BIT_STRING_free((ASN1_BIT_STRING *)decoded); break;
    case NID_ext_key_usage: EXTENDED_KEY_USAGE_free((EXTENDED_KEY_USAGE *)decoded); break;
    case NID_subject_key_identifier: ASN1_OCTET_STRING_free((ASN1_OCTET_STRING *)decoded); break;
    case NID_authority_key_identifier: AUTHORITY_KEYID_free((AUTHORITY_KEYID *)decoded); break;
    default: break;
    }
}

static int counted_extension(const X509 *x, int nid) {
    void *decoded = X509_get_ext_d2i(x, nid, NULL, NULL);
    int count = stack_count(decoded, nid);
    free_decoded(decoded, nid);
    return count;
}

// MARK: mw_ref_extract

int mw_ref_extract(const uint8_t *der, size_t length, struct mw_ref_fields *out) {
    memset(out, 0, sizeof *out);
    X509 *x = parse(der, length);
    if (x == NULL) return 0;

    out->version = (int)X509_get_version(x) + 1;
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
    unsigned char *encoded = NULL;
    int encoded_length = i2d_ASN1_INTEGER(serial, &encoded);
    if (encoded_length > 0) {
        // Strip the tag and the length octets: what is left is the content as in the DER.
        const unsigned char *p = encoded;
        long content_length = 0;
        int tag = 0, class = 0;
        int flags = ASN1_get_object(&p, &content_length, &tag, &class, encoded_length);
        if (!(flags & 0x80)) {
            out->serial_length = (size_t)content_length;
            memcpy(out->serial, p, content_length < (long)sizeof out->serial ? (size_t)content_length : sizeof out->serial);
        }
    }
    OPENSSL_free(encoded);

    const X509_ALGOR *signature_algorithm = NULL;
    X509_get0_signature(NULL, &signature_algorithm, x);
    const ASN1_OBJECT *object = NULL;
    X509_ALGOR_get0(&object, NULL, NULL, signature_algorithm);
    out->signature_nid = OBJ_obj2nid(object);

    X509_PUBKEY *pubkey = X509_get_X509_PUBKEY(x);
    ASN1_OBJECT *key_object = NULL;
    X509_ALGOR *key_algorithm = NULL;
    out->curve_nid = NID_undef;
    if (X509_PUBKEY_get0_param(&key_object, NULL, NULL, &key_algorithm, pubkey)) {
        out->public_key_nid = OBJ_obj2nid(key_object);
        int parameter_type = 0;
        const void *parameter = NULL;
        X509_ALGOR_get0(NULL, &parameter_type, &parameter, key_algorithm);
        if (parameter_type == V_ASN1_OBJECT) out->curve_nid = OBJ_obj2nid((const ASN1_OBJECT *)parameter);
    }
    EVP_PKEY *key = X509_get0_pubkey(x);
    out->public_key_bits = key != NULL ? EVP_PKEY_get_bits(key) : -1;

    const unsigned char *name_der = NULL;
    size_t name_length = 0;
    if (X509_NAME_get0_der(X509_get_issuer_name(x), &name_der, &name_length)) out->issuer_der_length = name_length;
    if (X509_NAME_get0_der(X509_get_subject_name(x), &name_der, &name_length)) out->subject_der_length = name_length;

    time_to_epoch(X509_get0_notBefore(x), &out->not_before);
    time_to_epoch(X509_get0_notAfter(x), &out->not_after);

    // Decodes basicConstraints, keyUsage, extKeyUsage, SKI and AKI (and caches them).
    out->extension_flags = X509_get_extension_flags(x);
    out->key_usage = X509_get_key_usage(x);
    out->extended_key_usage = X509_get_extended_key_usage(x);
    out->is_ca = (out->extension_flags & EXFLAG_BCONS) ? ((out->extension_flags & EXFLAG_CA) ? 1 : 0) : -1;
    out->path_length = X509_get_pathlen(x);
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
    out->subject_key_id_length = ski != NULL ? ASN1_STRING_length(ski) : -1;
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
    out->authority_key_id_length = aki != NULL ? ASN1_STRING_length(aki) : -1;

    out->extension_count = X509_get_ext_count(x);
    out->san_count = counted_extension(x, NID_subject_alt_name);
    out->sct_count = counted_extension(x, NID_ct_precert_scts);
    out->aia_count = counted_extension(x, NID_info_access);
    out->crl_dp_count = counted_extension(x, NID_crl_distribution_points);
    out->policy_count = counted_extension(x, NID_certificate_policies);

    X509_free(x);
    return 1;
}

// MARK: mw_ref_time

int mw_ref_time(const uint8_t *der, size_t length, int64_t *seconds, char *text, size_t capacity) {
    if (length > 0x7fffffff || capacity == 0) return 0;
    text[0] = 0;
    const unsigned char *cursor = der;
    ASN1_TIME *time = d2i_ASN1_TIME(NULL, &cursor, (long)length);
    int ok = time != NULL && cursor == der + length && time_to_epoch_text(time, seconds, text, capacity);
    ASN1_TIME_free(time);
    return ok;
}

// MARK: A minimal JSON writer

struct writer {
    char *out;
    size_t capacity;
    size_t length;     // total length the text needs (may exceed capacity)
    int first;         // no member written yet at the current level
};

static void put(struct writer *w, const char *bytes, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (w->length + 1 < w->capacity) w->out[w->length] = bytes[i];
        w->length++;
    }
}

static void puts_(struct writer *w, const char *text) { put(w, text, strlen(text)); }

/// A JSON string; bytes outside printable ASCII become \u00XX (Latin-1), quote and backslash
/// are escaped.
static void put_string(struct writer *w, const unsigned char *bytes, size_t count) {
    put(w, "\"", 1);
    for (size_t i = 0; i < count; i++) {
        unsigned char c = bytes[i];
        char escaped[8];
        if (c == '"' || c == '\\') {
            escaped[0] = '\\';
            escaped[1] = (char)c;
            put(w, escaped, 2);
        } else if (c < 0x20 || c >= 0x7f) {
            snprintf(escaped, sizeof escaped, "\\u%04x", c);
            put(w, escaped, 6);
        } else {
            put(w, (const char *)&c, 1);
        }
    }
    put(w, "\"", 1);
}

static void put_cstring(struct writer *w, const char *text) {
    put_string(w, (const unsigned char *)text, strlen(text));
}

static void member_key(struct writer *w, const char *name) {
    if (!w->first) put(w, ",", 1);
    w->first = 0;
    put_cstring(w, name);
    put(w, ":", 1);
}

static void member_string(struct writer *w, const char *name, const char *value) {
    member_key(w, name);
    put_cstring(w, value);
}

static void member_int(struct writer *w, const char *name, long long value) {
    char text[32];
    snprintf(text, sizeof text, "%lld", value);
    member_key(w, name);
    puts_(w, text);
}

static void member_bool(struct writer *w, const char *name, int value) {
    member_key(w, name);
    puts_(w, value ? "true" : "false");
}

static void hex(const unsigned char *bytes, size_t count, int uppercase, char *text) {
    const char *digits = uppercase ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < count; i++) {
        text[2 * i] = digits[bytes[i] >> 4];
        text[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    text[2 * count] = 0;
}

static void member_hex(struct writer *w, const char *name, const unsigned char *bytes, size_t count, int uppercase) {
    member_key(w, name);
    put(w, "\"", 1);
    for (size_t i = 0; i < count; i++) {
        char pair[3];
        hex(bytes + i, 1, uppercase, pair);
        put(w, pair, 2);
    }
    put(w, "\"", 1);
}

static void oid_text(const ASN1_OBJECT *object, char *text, size_t capacity) {
    text[0] = 0;
    if (object == NULL || OBJ_obj2txt(text, (int)capacity, object, 1) <= 0) snprintf(text, capacity, "?");
}

/// A JSON array of strings, opened by `begin_array` and closed by `end_array`.
static void begin_array(struct writer *w, const char *name) {
    member_key(w, name);
    put(w, "[", 1);
}

static void array_string(struct writer *w, int *count, const unsigned char *bytes, size_t length) {
    if ((*count)++ > 0) put(w, ",", 1);
    put_string(w, bytes, length);
}

static void end_array(struct writer *w) { put(w, "]", 1); }

// MARK: mw_ref_describe

static void describe_name(struct writer *w, const char *name, const X509_NAME *value) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return;
    if (X509_NAME_print_ex(bio, value, 0, XN_FLAG_RFC2253) >= 0) {
        char *text = NULL;
        long length = BIO_get_mem_data(bio, &text);
        member_key(w, name);
        put_string(w, (const unsigned char *)text, (size_t)length);
    }
    BIO_free(bio);
}

/// `name` (epoch seconds) and `name`_text (the date, RFC 3339).
static void describe_time(struct writer *w, const char *name, const ASN1_TIME *time) {
    int64_t seconds = 0;
    char text[64];
    if (!time_to_epoch_text(time, &seconds, text, sizeof text)) return;
    member_int(w, name, seconds);
    char key[64];
    snprintf(key, sizeof key, "%s_text", name);
    member_string(w, key, text);
}

static void describe_digest(struct writer *w, const char *name, const X509 *x, const EVP_MD *md) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(x, md, digest, &length)) member_hex(w, name, digest, length, 0);
}

static void describe_key(struct writer *w, X509 *x) {
    X509_PUBKEY *pubkey = X509_get_X509_PUBKEY(x);
    ASN1_OBJECT *algorithm = NULL;
    X509_ALGOR *parameters = NULL;
    char oid[128];
    if (X509_PUBKEY_get0_param(&algorithm, NULL, NULL, &parameters, pubkey)) {
        oid_text(algorithm, oid, sizeof oid);
        member_string(w, "public_key_oid", oid);
        int parameter_type = 0;
        const void *parameter = NULL;
        X509_ALGOR_get0(NULL, &parameter_type, &parameter, parameters);
        if (parameter_type == V_ASN1_OBJECT) {
            oid_text((const ASN1_OBJECT *)parameter, oid, sizeof oid);
            member_string(w, "curve_oid", oid);
        }
    }
    EVP_PKEY *key = X509_get0_pubkey(x);
    member_int(w, "public_key_bits", key != NULL ? EVP_PKEY_get_bits(key) : -1);
    if (key != NULL && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        BIGNUM *exponent = NULL;
        if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &exponent)) {
            if (BN_num_bytes(exponent) <= 8) {
                unsigned char bytes[8];
                int count = BN_bn2bin(exponent, bytes);
                unsigned long long value = 0;
                for (int i = 0; i < count; i++) value = value << 8 | bytes[i];
                member_key(w, "rsa_exponent");
                char text[32];
                snprintf(text, sizeof text, "%llu", value);
                puts_(w, text);
            }
            BN_free(exponent);
        }
    }
    unsigned char *spki = NULL;
    int spki_length = i2d_X509_PUBKEY(pubkey, &spki);
    if (spki_length > 0) {
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256(spki, (size_t)spki_length, digest);
        member_hex(w, "spki_sha256", digest, sizeof digest, 0);
    }
    OPENSSL_free(spki);
}

/// Decodes one extension with X509_get_ext_d2i; records in `duplicates` when OpenSSL refuses
/// because the extension appears more than once (it then returns NULL).
static void *decoded_extension(X509 *x, int nid, struct writer *duplicates, int *duplicate_count) {
    int critical = 0;
    void *decoded = X509_get_ext_d2i(x, nid, &critical, NULL);
    if (decoded == NULL && critical == -2) {
        char oid[64];
        oid_text(OBJ_nid2obj(nid), oid, sizeof oid);
        array_string(duplicates, duplicate_count, (const unsigned char *)oid, strlen(oid));
    }
    return decoded;
}

static void general_names(struct writer *w, GENERAL_NAMES *names, int type, const char *name) {
    int count = 0;
    begin_array(w, name);
    for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *entry = sk_GENERAL_NAME_value(names, i);
        int entry_type = 0;
        void *value = GENERAL_NAME_get0_value(entry, &entry_type);
        if (entry_type != type) continue;
        if (type == GEN_IPADD) {
            const ASN1_OCTET_STRING *address = value;
            const unsigned char *p = ASN1_STRING_get0_data(address);
            int length = ASN1_STRING_length(address);
            char text[64];
            if (length == 4) {
                snprintf(text, sizeof text, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
            } else if (length == 16) {
                // As `openssl x509 -text` prints it: eight uncompressed uppercase groups.
                size_t used = 0;
                for (int g = 0; g < 8; g++) {
                    used += (size_t)snprintf(text + used, sizeof text - used, g ? ":%X" : "%X", p[2 * g] << 8 | p[2 * g + 1]);
                }
            } else {
                snprintf(text, sizeof text, "<invalid length=%d>", length);
            }
            array_string(w, &count, (const unsigned char *)text, strlen(text));
        } else {
            const ASN1_STRING *string = value;
            array_string(w, &count, ASN1_STRING_get0_data(string), (size_t)ASN1_STRING_length(string));
        }
    }
    end_array(w);
}

int mw_ref_describe(const uint8_t *der, size_t length, char *out, size_t capacity) {
    struct writer w = { out, capacity, 0, 1 };
    put(&w, "{", 1);
    X509 *x = parse(der, length);
    member_bool(&w, "parse_ok", x != NULL);
    if (x == NULL) {
        put(&w, "}", 1);
        if (capacity > 0) out[w.length < capacity ? w.length : capacity - 1] = 0;
        return (int)w.length;
    }
    char oid[128];

    member_int(&w, "version", X509_get_version(x) + 1);
    unsigned char *encoded = NULL;
    int encoded_length = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &encoded);
    if (encoded_length > 0) {
        const unsigned char *p = encoded;
        long content_length = 0;
        int tag = 0, class = 0;
        if (!(ASN1_get_object(&p, &content_length, &tag, &class, encoded_length) & 0x80)) {
            member_hex(&w, "serial", p, (size_t)content_length, 1);
        }
    }
    OPENSSL_free(encoded);

    const X509_ALGOR *signature_algorithm = NULL;
    X509_get0_signature(NULL, &signature_algorithm, x);
    const ASN1_OBJECT *object = NULL;
    X509_ALGOR_get0(&object, NULL, NULL, signature_algorithm);
    oid_text(object, oid, sizeof oid);
    member_string(&w, "signature_oid", oid);

    describe_name(&w, "issuer", X509_get_issuer_name(x));
    describe_name(&w, "subject", X509_get_subject_name(x));
    describe_time(&w, "not_before", X509_get0_notBefore(x));
    describe_time(&w, "not_after", X509_get0_notAfter(x));
    describe_digest(&w, "sha256", x, EVP_sha256());
    describe_digest(&w, "sha1", x, EVP_sha1());
    describe_key(&w, x);

    // Duplicated extensions, as OpenSSL reports them (X509_get_ext_d2i's crit = -2).
    char duplicate_buffer[1024];
    struct writer duplicates = { duplicate_buffer, sizeof duplicate_buffer, 0, 1 };
    int duplicate_count = 0;

    BASIC_CONSTRAINTS *constraints = decoded_extension(x, NID_basic_constraints, &duplicates, &duplicate_count);
    if (constraints != NULL) {
        member_bool(&w, "is_ca", constraints->ca != 0);
        if (constraints->pathlen != NULL) member_int(&w, "path_len", ASN1_INTEGER_get(constraints->pathlen));
        BASIC_CONSTRAINTS_free(constraints);
    }

    ASN1_BIT_STRING *usage = decoded_extension(x, NID_key_usage, &duplicates, &duplicate_count);
    if (usage != NULL) {
        static const char *const names[] = {
            "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
            "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
        };
        int count = 0;
        begin_array(&w, "key_usage");
        for (int bit = 0; bit < 9; bit++) {
            if (ASN1_BIT_STRING_get_bit(usage, bit)) {
                array_string(&w, &count, (const unsigned char *)names[bit], strlen(names[bit]));
            }
        }
        end_array(&w);
        ASN1_BIT_STRING_free(usage);
    }

    EXTENDED_KEY_USAGE *extended = decoded_extension(x, NID_ext_key_usage, &duplicates, &duplicate_count);
    if (extended != NULL) {
        int count = 0;
        begin_array(&w, "extended_key_usage");
        for (int i = 0; i < sk_ASN1_OBJECT_num(extended); i++) {
            oid_text(sk_ASN1_OBJECT_value(extended, i), oid, sizeof oid);
            array_string(&w, &count, (const unsigned char *)oid, strlen(oid));
        }
        end_array(&w);
        EXTENDED_KEY_USAGE_free(extended);
    }

    ASN1_OCTET_STRING *ski = decoded_extension(x, NID_subject_key_identifier, &duplicates, &duplicate_count);
    if (ski != NULL) {
        member_hex(&w, "subject_key_identifier", ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski), 0);
        ASN1_OCTET_STRING_free(ski);
    }

    AUTHORITY_KEYID *aki = decoded_extension(x, NID_authority_key_identifier, &duplicates, &duplicate_count);
    if (aki != NULL) {
        if (aki->keyid != NULL) {
            member_hex(&w, "authority_key_identifier", ASN1_STRING_get0_data(aki->keyid),
                       (size_t)ASN1_STRING_length(aki->keyid), 0);
        }
        AUTHORITY_KEYID_free(aki);
    }

    GENERAL_NAMES *san = decoded_extension(x, NID_subject_alt_name, &duplicates, &duplicate_count);
    general_names(&w, san, GEN_DNS, "san_dns");
    general_names(&w, san, GEN_IPADD, "san_ip");
    general_names(&w, san, GEN_EMAIL, "san_email");
    general_names(&w, san, GEN_URI, "san_uri");
    GENERAL_NAMES_free(san);

    STACK_OF(SCT) *scts = decoded_extension(x, NID_ct_precert_scts, &duplicates, &duplicate_count);
    if (scts != NULL) {
        member_int(&w, "sct_count", sk_SCT_num(scts));
        SCT_LIST_free(scts);
    }

    AUTHORITY_INFO_ACCESS *aia = decoded_extension(x, NID_info_access, &duplicates, &duplicate_count);
    for (int pass = 0; pass < 2; pass++) {
        int method = pass == 0 ? NID_ad_OCSP : NID_ad_ca_issuers;
        int count = 0;
        begin_array(&w, pass == 0 ? "ocsp" : "ca_issuers");
        for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
            ACCESS_DESCRIPTION *description = sk_ACCESS_DESCRIPTION_value(aia, i);
            if (OBJ_obj2nid(description->method) != method || description->location->type != GEN_URI) continue;
            const ASN1_STRING *uri = description->location->d.uniformResourceIdentifier;
            array_string(&w, &count, ASN1_STRING_get0_data(uri), (size_t)ASN1_STRING_length(uri));
        }
        end_array(&w);
    }
    AUTHORITY_INFO_ACCESS_free(aia);

    CRL_DIST_POINTS *points = decoded_extension(x, NID_crl_distribution_points, &duplicates, &duplicate_count);
    {
        int count = 0;
        begin_array(&w, "crl_uris");
        for (int i = 0; points != NULL && i < sk_DIST_POINT_num(points); i++) {
            DIST_POINT *point = sk_DIST_POINT_value(points, i);
            if (point->distpoint == NULL || point->distpoint->type != 0) continue;
            GENERAL_NAMES *names = point->distpoint->name.fullname;
            for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
                GENERAL_NAME *name = sk_GENERAL_NAME_value(names, j);
                if (name->type != GEN_URI) continue;
                const ASN1_STRING *uri = name->d.uniformResourceIdentifier;
                array_string(&w, &count, ASN1_STRING_get0_data(uri), (size_t)ASN1_STRING_length(uri));
            }
        }
        end_array(&w);
        CRL_DIST_POINTS_free(points);
    }

    CERTIFICATEPOLICIES *policies = decoded_extension(x, NID_certificate_policies, &duplicates, &duplicate_count);
    if (policies != NULL) {
        int count = 0;
        begin_array(&w, "policies");
        for (int i = 0; i < sk_POLICYINFO_num(policies); i++) {
            oid_text(sk_POLICYINFO_value(policies, i)->policyid, oid, sizeof oid);
            array_string(&w, &count, (const unsigned char *)oid, strlen(oid));
        }
        end_array(&w);
        CERTIFICATEPOLICIES_free(policies);
    }

    member_key(&w, "extensions");
    put(&w, "[", 1);
    for (int i = 0; i < X509_get_ext_count(x); i++) {
        X509_EXTENSION *extension = X509_get_ext(x, i);
        if (i > 0) put(&w, ",", 1);
        struct writer entry = w;
        entry.first = 1;
        put(&entry, "{", 1);
        oid_text(X509_EXTENSION_get_object(extension), oid, sizeof oid);
        member_string(&entry, "oid", oid);
        member_bool(&entry, "critical", X509_EXTENSION_get_critical(extension) > 0);
        put(&entry, "}", 1);
        w.length = entry.length;
    }
    put(&w, "]", 1);

    member_key(&w, "duplicate_extensions");
    put(&w, "[", 1);
    put(&w, duplicate_buffer, duplicates.length < sizeof duplicate_buffer ? duplicates.length : 0);
    put(&w, "]", 1);

    put(&w, "}", 1);
    X509_free(x);
    if (capacity > 0) out[w.length < capacity ? w.length : capacity - 1] = 0;
    return (int)w.length;
}
