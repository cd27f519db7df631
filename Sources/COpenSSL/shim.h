#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/ct.h>
#include <openssl/ocsp.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <stdint.h>

/* Chain validation (Detector/Validation): OpenSSL's STACK_OF(X509) calls are macros Swift cannot
   import, and the verify callback must be a C function; these are thin wrappers. */

static inline STACK_OF(X509) *mw_sk_X509_new_null(void) { return sk_X509_new_null(); }
/* Pushes without taking a reference: the caller keeps every X509 alive until mw_sk_X509_free. */
static inline int mw_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate) { return sk_X509_push(stack, certificate); }
static inline void mw_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
static inline void mw_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
static inline int mw_sk_X509_num(const STACK_OF(X509) *stack) { return stack ? sk_X509_num(stack) : 0; }
static inline X509 *mw_sk_X509_value(const STACK_OF(X509) *stack, int index) { return sk_X509_value(stack, index); }

/* Every verification problem, not only the first: the callback records (error, depth) and lets
   OpenSSL carry on. */
#define MW_VERIFY_MAX_PROBLEMS 16
typedef struct {
    int count;
    int errors[MW_VERIFY_MAX_PROBLEMS];
    int depths[MW_VERIFY_MAX_PROBLEMS];
} mw_verify_problems;

static inline int mw_verify_collect_callback(int ok, X509_STORE_CTX *context) {
    if (ok) return 1;
    mw_verify_problems *problems = (mw_verify_problems *)X509_STORE_CTX_get_app_data(context);
    if (!problems) return 0;
    int error = X509_STORE_CTX_get_error(context), depth = X509_STORE_CTX_get_error_depth(context);
    for (int i = 0; i < problems->count; i++)
        if (problems->errors[i] == error && problems->depths[i] == depth) return 1;
    if (problems->count < MW_VERIFY_MAX_PROBLEMS) {
        problems->errors[problems->count] = error;
        problems->depths[problems->count] = depth;
        problems->count++;
    }
    return 1;
}

/* X509_verify_cert with every problem recorded into `problems` (which must outlive the call). */
static inline int mw_verify_collecting(X509_STORE_CTX *context, mw_verify_problems *problems) {
    problems->count = 0;
    X509_STORE_CTX_set_app_data(context, problems);
    X509_STORE_CTX_set_verify_cb(context, mw_verify_collect_callback);
    int result = X509_verify_cert(context);
    X509_STORE_CTX_set_app_data(context, NULL);
    return result;
}
static inline int mw_verify_problem_error(const mw_verify_problems *problems, int index) { return problems->errors[index]; }
static inline int mw_verify_problem_depth(const mw_verify_problems *problems, int index) { return problems->depths[index]; }

/* 1 when the certificate's notBefore or notAfter lies in [from, to] (its validity at `from` and
   at `to` may differ), 0 when both instants see the same validity. */
static inline int mw_validity_changes_between(X509 *certificate, int64_t from, int64_t to) {
    time_t start = (time_t)from, end = (time_t)to;
    const ASN1_TIME *times[2] = { X509_get0_notBefore(certificate), X509_get0_notAfter(certificate) };
    for (int i = 0; i < 2; i++) {
        if (!times[i]) return 1;
        int a = X509_cmp_time(times[i], &start), b = X509_cmp_time(times[i], &end);
        if (a == 0 || b == 0 || a != b) return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   The TLS probe client (OpenSSLBridge/Probe): libssl's control macros Swift cannot import, the
   SCT count, and numeric socket addresses. Thin wrappers, nothing else. */
#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

static inline int mw_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
static inline int mw_SSL_set_min_proto_version(SSL *ssl, int version) { return (int)SSL_set_min_proto_version(ssl, version); }
static inline int mw_SSL_set_max_proto_version(SSL *ssl, int version) { return (int)SSL_set_max_proto_version(ssl, version); }
static inline void mw_SSL_set_max_cert_list(SSL *ssl, long bytes) { SSL_set_max_cert_list(ssl, bytes); }
static inline int mw_SSL_request_ocsp_status(SSL *ssl) { return (int)SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp); }
/* The stapled OCSP response (borrowed from `ssl`) and its length, or -1 when none was sent. */
static inline long mw_SSL_get_ocsp_response(SSL *ssl, const unsigned char **response) {
    unsigned char *bytes = NULL;
    long length = SSL_get_tlsext_status_ocsp_resp(ssl, &bytes);
    *response = bytes;
    return bytes ? length : -1;
}
/* The key exchange's group as a NID; TLSEXT_nid_unknown | the IANA code for a group OpenSSL has
   no NID for; NID_undef (0) when there was none (TLS 1.2 RSA key transport). */
static inline int mw_SSL_get_negotiated_group(SSL *ssl) { return (int)SSL_get_negotiated_group(ssl); }
/* How many of the peer's SCTs came in the signed_certificate_timestamp TLS extension (needs
   SSL_enable_ct before the handshake, which is what makes the client ask for them). */
static inline int mw_SSL_count_extension_scts(SSL *ssl) {
    const STACK_OF(SCT) *scts = SSL_get0_peer_scts(ssl);
    int count = 0;
    for (int i = 0; scts && i < sk_SCT_num(scts); i++)
        if (SCT_get_source(sk_SCT_value(scts, i)) == SCT_SOURCE_TLS_EXTENSION) count++;
    return count;
}

/* A numeric IPv4 or IPv6 address (no brackets) and port as a socket address. Returns the
   family (AF_INET, AF_INET6) and fills `address` and `length`, or -1 when `text` is neither. */
static inline int mw_socket_address_parse(const char *text, uint16_t port, struct sockaddr_storage *address, socklen_t *length) {
    memset(address, 0, sizeof *address);
    struct sockaddr_in *v4 = (struct sockaddr_in *)address;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)address;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *length = sizeof *v4;
        return AF_INET;
    }
    if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *length = sizeof *v6;
        return AF_INET6;
    }
    return -1;
}
/* The numeric text (into `text`, at least INET6_ADDRSTRLEN bytes) and port of a socket address;
   0, or -1 for a family other than AF_INET/AF_INET6. */
static inline int mw_socket_address_format(const struct sockaddr_storage *address, char *text, size_t capacity, uint16_t *port) {
    if (address->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
        *port = ntohs(v4->sin_port);
        return inet_ntop(AF_INET, &v4->sin_addr, text, (socklen_t)capacity) ? 0 : -1;
    }
    if (address->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        *port = ntohs(v6->sin6_port);
        return inet_ntop(AF_INET6, &v6->sin6_addr, text, (socklen_t)capacity) ? 0 : -1;
    }
    return -1;
}
