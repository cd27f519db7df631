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
