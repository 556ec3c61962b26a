/*
 * GnuTLS, loaded when it is first used.
 *
 * Most messages go out without TLS or AUTH (cron to a relay on the same
 * network, a local smarthost), yet a program linked with GnuTLS pays for
 * loading it, and the eleven libraries it needs (p11-kit, nettle,
 * hogweed, gmp, tasn1, ffi...), on every start: about 3 ms of a 16 ms
 * submission on the development VM, more than the SMTP dialogue itself
 * (bench/README.md).  So postie is not linked with GnuTLS; it is linked
 * with this file, which defines every GnuTLS function postie calls, and
 * each one opens the library (dlopen, by the soname configure found)
 * and calls the real function.  The libraries are mapped only by the
 * run that needs them.
 *
 * The prototypes are GnuTLS's own (its headers are included, so the
 * compiler checks each definition against them), and a GnuTLS function
 * used without a definition here fails the link of postie: nothing can
 * silently bypass the seam.  The test server and the unit tests link
 * GnuTLS as usual; `./configure --disable-lazy-gnutls` links postie so
 * too.
 *
 * Errors: postie calls gnutls_global_init() (cmd/route.c crypto_init)
 * before any other function; when the library cannot be loaded, that
 * call fails with GNUTLS_E_INTERNAL_ERROR and gnutls_strerror() says
 * why, so the user gets one clear line (--version prints the reason in
 * place of gnutls_check_version()'s version).  Any
 * other function called when the library cannot be loaded (which no
 * code path does) ends the program with that line: there is nothing
 * sensible it could return.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

static void *lib;
static char why[256];

/* Open the library once; false (why says why) when it cannot be. */
static int
lazy_open(void)
{
	const char *msg;

	if (lib != NULL)
		return 1;
	if (why[0] != '\0')
		return 0;
	/* RTLD_LOCAL: its symbols stay out of the program's namespace. */
	if ((lib = dlopen(POSTIE_GNUTLS_SONAME, RTLD_NOW | RTLD_LOCAL)) !=
	    NULL)
		return 1;
	msg = dlerror();
	snprintf(why, sizeof(why), "cannot load %s: %s", POSTIE_GNUTLS_SONAME,
	    msg != NULL ? msg : "unknown error");
	return 0;
}

/* The address of GnuTLS's name; never returns without it. */
static void *
lazy_sym(const char *name)
{
	void *p;

	if (!lazy_open()) {
		fprintf(stderr, "postie: %s\n", why);
		abort();
	}
	if ((p = dlsym(lib, name)) == NULL) {
		fprintf(stderr, "postie: %s: no %s\n", POSTIE_GNUTLS_SONAME,
		    name);
		abort();
	}
	return p;
}

/*
 * One forwarding definition: the pointer is looked up on the first call
 * (memcpy, since ISO C has no conversion from void * to a function
 * pointer; POSIX guarantees dlsym's result can be used so).
 */
#define LAZY(ret, name, params, args)					\
	ret name params							\
	{								\
		static ret (*fn) params;				\
		if (fn == NULL) {					\
			void *p = lazy_sym(#name);			\
			memcpy(&fn, &p, sizeof(fn));			\
		}							\
		return fn args;						\
	}
#define LAZY_VOID(name, params, args)					\
	void name params						\
	{								\
		static void (*fn) params;				\
		if (fn == NULL) {					\
			void *p = lazy_sym(#name);			\
			memcpy(&fn, &p, sizeof(fn));			\
		}							\
		fn args;						\
	}

/*
 * GnuTLS exports gnutls_free as a variable (a function pointer): ours
 * starts as lazy_free, which takes the library's value on first use.
 */
static void lazy_free(void *p);
gnutls_free_function gnutls_free = lazy_free;

static void
lazy_free(void *p)
{
	gnutls_free_function *real = lazy_sym("gnutls_free");

	gnutls_free = *real;
	(*real)(p);
}

/*
 * The functions called first, or to say what went wrong: when the library
 * cannot be loaded they return fallback instead of ending the program.
 */
#define LAZY_SOFT(ret, name, params, args, fallback)			\
	ret name params							\
	{								\
		static ret (*fn) params;				\
		if (fn == NULL) {					\
			void *p;					\
			if (!lazy_open())				\
				return fallback;			\
			p = lazy_sym(#name);				\
			memcpy(&fn, &p, sizeof(fn));			\
		}							\
		return fn args;						\
	}

LAZY_SOFT(int, gnutls_global_init, (void), (), GNUTLS_E_INTERNAL_ERROR)
LAZY_SOFT(const char *, gnutls_strerror, (int error), (error), why)
/* --version: the reason in place of a version when it cannot load. */
LAZY_SOFT(const char *, gnutls_check_version, (const char *req), (req), why)

LAZY(gnutls_alert_description_t, gnutls_alert_get,
    (gnutls_session_t s), (s))
LAZY(const char *, gnutls_alert_get_name, (gnutls_alert_description_t a),
    (a))
LAZY(int, gnutls_alert_send_appropriate, (gnutls_session_t s, int err),
    (s, err))
LAZY(int, gnutls_bye, (gnutls_session_t s, gnutls_close_request_t how),
    (s, how))
LAZY(int, gnutls_certificate_allocate_credentials,
    (gnutls_certificate_credentials_t *res), (res))
LAZY_VOID(gnutls_certificate_free_credentials,
    (gnutls_certificate_credentials_t sc), (sc))
LAZY(const gnutls_datum_t *, gnutls_certificate_get_peers,
    (gnutls_session_t s, unsigned int *n), (s, n))
LAZY_VOID(gnutls_certificate_server_set_request,
    (gnutls_session_t s, gnutls_certificate_request_t req), (s, req))
LAZY_VOID(gnutls_certificate_set_verify_function,
    (gnutls_certificate_credentials_t c,
    gnutls_certificate_verify_function *f), (c, f))
LAZY(int, gnutls_certificate_set_x509_crl_file,
    (gnutls_certificate_credentials_t c, const char *file,
    gnutls_x509_crt_fmt_t type), (c, file, type))
LAZY(int, gnutls_certificate_set_x509_key_file2,
    (gnutls_certificate_credentials_t c, const char *certfile,
    const char *keyfile, gnutls_x509_crt_fmt_t type, const char *pass,
    unsigned int flags), (c, certfile, keyfile, type, pass, flags))
LAZY(int, gnutls_certificate_set_x509_system_trust,
    (gnutls_certificate_credentials_t c), (c))
LAZY(int, gnutls_certificate_set_x509_trust_file,
    (gnutls_certificate_credentials_t c, const char *file,
    gnutls_x509_crt_fmt_t type), (c, file, type))
LAZY(int, gnutls_certificate_verification_status_print,
    (unsigned int status, gnutls_certificate_type_t type,
    gnutls_datum_t *out, unsigned int flags), (status, type, out, flags))
LAZY(int, gnutls_certificate_verify_peers2,
    (gnutls_session_t s, unsigned int *status), (s, status))
LAZY(int, gnutls_certificate_verify_peers3,
    (gnutls_session_t s, const char *host, unsigned int *status),
    (s, host, status))
LAZY(const char *, gnutls_ciphersuite_get, (gnutls_session_t s), (s))
LAZY(int, gnutls_credentials_set,
    (gnutls_session_t s, gnutls_credentials_type_t type, void *cred),
    (s, type, cred))
LAZY_VOID(gnutls_deinit, (gnutls_session_t s), (s))
LAZY(int, gnutls_error_is_fatal, (int error), (error))
LAZY_VOID(gnutls_global_deinit, (void), ())
LAZY(int, gnutls_handshake, (gnutls_session_t s), (s))
LAZY(int, gnutls_hash_fast,
    (gnutls_digest_algorithm_t a, const void *text, size_t len,
    void *digest), (a, text, len, digest))
LAZY(int, gnutls_hmac_fast,
    (gnutls_mac_algorithm_t a, const void *key, size_t keylen,
    const void *text, size_t textlen, void *digest),
    (a, key, keylen, text, textlen, digest))
LAZY(int, gnutls_init, (gnutls_session_t *s, unsigned int flags),
    (s, flags))
LAZY(int, gnutls_ocsp_status_request_enable_client,
    (gnutls_session_t s, gnutls_datum_t *ids, size_t nids,
    gnutls_datum_t *ext), (s, ids, nids, ext))
LAZY(int, gnutls_pbkdf2,
    (gnutls_mac_algorithm_t mac, const gnutls_datum_t *key,
    const gnutls_datum_t *salt, unsigned iter, void *out, size_t len),
    (mac, key, salt, iter, out, len))
LAZY(int, gnutls_priority_set_direct,
    (gnutls_session_t s, const char *prio, const char **err_pos),
    (s, prio, err_pos))
LAZY(gnutls_protocol_t, gnutls_protocol_get_version, (gnutls_session_t s),
    (s))
LAZY(size_t, gnutls_record_check_pending, (gnutls_session_t s), (s))
LAZY(int, gnutls_record_get_direction, (gnutls_session_t s), (s))
LAZY(ssize_t, gnutls_record_recv,
    (gnutls_session_t s, void *data, size_t n), (s, data, n))
LAZY(ssize_t, gnutls_record_send,
    (gnutls_session_t s, const void *data, size_t n), (s, data, n))
LAZY(int, gnutls_rnd, (gnutls_rnd_level_t level, void *data, size_t len),
    (level, data, len))
LAZY(int, gnutls_server_name_get,
    (gnutls_session_t s, void *data, size_t *len, unsigned int *type,
    unsigned int indx), (s, data, len, type, indx))
LAZY(int, gnutls_server_name_set,
    (gnutls_session_t s, gnutls_server_name_type_t type, const void *name,
    size_t len), (s, type, name, len))
LAZY(int, gnutls_session_channel_binding,
    (gnutls_session_t s, gnutls_channel_binding_t type, gnutls_datum_t *cb),
    (s, type, cb))
LAZY(void *, gnutls_session_get_ptr, (gnutls_session_t s), (s))
LAZY_VOID(gnutls_session_set_ptr, (gnutls_session_t s, void *ptr), (s, ptr))
LAZY_VOID(gnutls_transport_set_int2, (gnutls_session_t s, int r, int w),
    (s, r, w))
LAZY(unsigned, gnutls_x509_crt_check_hostname2,
    (gnutls_x509_crt_t c, const char *host, unsigned int flags),
    (c, host, flags))
LAZY(unsigned, gnutls_x509_crt_check_issuer,
    (gnutls_x509_crt_t c, gnutls_x509_crt_t issuer), (c, issuer))
LAZY_VOID(gnutls_x509_crt_deinit, (gnutls_x509_crt_t c), (c))
LAZY(int, gnutls_x509_crt_get_dn3,
    (gnutls_x509_crt_t c, gnutls_datum_t *dn, unsigned flags),
    (c, dn, flags))
LAZY(int, gnutls_x509_crt_get_dn_by_oid,
    (gnutls_x509_crt_t c, const char *oid, unsigned indx,
    unsigned int raw, void *buf, size_t *len), (c, oid, indx, raw, buf, len))
LAZY(int, gnutls_x509_crt_import,
    (gnutls_x509_crt_t c, const gnutls_datum_t *data,
    gnutls_x509_crt_fmt_t fmt), (c, data, fmt))
LAZY(int, gnutls_x509_crt_init, (gnutls_x509_crt_t *c), (c))
LAZY(int, gnutls_x509_trust_list_add_cas,
    (gnutls_x509_trust_list_t l, const gnutls_x509_crt_t *cas, unsigned n,
    unsigned int flags), (l, cas, n, flags))
LAZY_VOID(gnutls_x509_trust_list_deinit,
    (gnutls_x509_trust_list_t l, unsigned int all), (l, all))
LAZY(int, gnutls_x509_trust_list_init,
    (gnutls_x509_trust_list_t *l, unsigned int size), (l, size))
LAZY(int, gnutls_x509_trust_list_verify_crt2,
    (gnutls_x509_trust_list_t l, gnutls_x509_crt_t *certs, unsigned int n,
    gnutls_typed_vdata_st *data, unsigned int elements, unsigned int flags,
    unsigned int *voutput, gnutls_verify_output_function func),
    (l, certs, n, data, elements, flags, voutput, func))
