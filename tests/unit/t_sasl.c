/*
 * t_sasl: the client AUTH mechanisms and their policy (smtp/sasl.h):
 * exact payloads for each, the RFC 5802 and RFC 7677 SCRAM test
 * vectors, the server signature check, selection and the policy matrix.
 * SASLprep (smtp/sasl_int.h) is tested here too.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "smtp/sasl.h"
#include "smtp/sasl_int.h"
#include "util/base64.h"
#include "tap.h"

static struct secret pw;

static void
offer(struct smtp_caps *c, const char *mechs)
{
	smtp_caps_clear(c);
	if (mechs == NULL)
		return;
	c->flags |= SMTP_CAP_AUTH;
	strlcpy(c->auth, mechs, sizeof(c->auth));
}

/* Start with mech (NULL: best), return its rc; *name and initial set. */
static enum err_kind
start(const char *mech, const char *offered, bool tls, bool plaintext,
    const char **name, struct buf *initial, bool *has, struct err *e)
{
	struct smtp_sasl_conf conf = { .mech = mech, .user = "user",
	    .password = &pw, .allow_plaintext = plaintext,
	    .peer_local = true };
	struct smtp_sasl *s = smtp_sasl_new(&conf);
	struct smtp_caps caps;
	enum err_kind rc;

	offer(&caps, offered);
	err_clear(e);
	*name = NULL;
	rc = smtp_sasl_start(s, &caps, tls, name, initial, has, e);
	smtp_sasl_free(s);
	return rc;
}

static void
test_plain(void)
{
	struct buf init;
	const char *name;
	struct err e;
	bool has;

	buf_init(&init, 1024);
	tap_is_int(start("PLAIN", "PLAIN LOGIN", true, false, &name, &init,
	    &has, &e), ERR_OK, "PLAIN: start ok");
	tap_is_str(name, "PLAIN", "PLAIN: name");
	tap_ok(has, "PLAIN: has an initial response");
	/* base64("\0user\0pass") */
	tap_is_str(buf_str(&init), "AHVzZXIAcGFzcw==", "PLAIN: exact payload");
	buf_free(&init);
}

static void
test_login(void)
{
	struct smtp_sasl_conf conf = { .mech = "LOGIN", .user = "user",
	    .password = &pw };
	struct smtp_sasl *s = smtp_sasl_new(&conf);
	struct smtp_caps caps;
	struct buf b;
	const char *name = NULL;
	struct err e;
	bool has = true;

	buf_init(&b, 1024);
	offer(&caps, "PLAIN LOGIN");
	tap_is_int(smtp_sasl_start(s, &caps, true, &name, &b, &has, &e), ERR_OK,
	    "LOGIN: start ok");
	tap_is_str(name, "LOGIN", "LOGIN: forced by conf");
	tap_ok(!has && b.len == 0, "LOGIN: no initial response");
	tap_is_int(smtp_sasl_step(s, "VXNlcm5hbWU6", &b, &e), ERR_OK,
	    "LOGIN: Username: step");
	tap_is_str(buf_str(&b), "dXNlcg==", "LOGIN: user sent");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "UGFzc3dvcmQ6", &b, &e), ERR_OK,
	    "LOGIN: Password: step");
	tap_is_str(buf_str(&b), "cGFzcw==", "LOGIN: password sent");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "UGFzc3dvcmQ6", &b, &e), ERR_PROTOCOL,
	    "LOGIN: third challenge is a protocol error");
	tap_is_int(smtp_sasl_finish(s, "2.7.0 ok", &e), ERR_OK, "LOGIN: finish");

	/* Password asked first: answered by the prompt, not the order. */
	smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
	tap_is_int(smtp_sasl_step(s, "UGFzc3dvcmQ6", &b, &e), ERR_OK,
	    "LOGIN: password first");
	tap_is_str(buf_str(&b), "cGFzcw==", "LOGIN: password first: sent");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "VXNlcm5hbWU6", &b, &e), ERR_OK,
	    "LOGIN: then user");
	tap_is_str(buf_str(&b), "dXNlcg==", "LOGIN: then user: sent");
	buf_reset(&b);

	/* Unknown prompts: user, then password. */
	smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
	smtp_sasl_step(s, "", &b, &e);
	tap_is_str(buf_str(&b), "dXNlcg==", "LOGIN: empty prompt -> user");
	buf_reset(&b);
	smtp_sasl_step(s, "Zm9vOg==", &b, &e);
	tap_is_str(buf_str(&b), "cGFzcw==", "LOGIN: 'foo:' prompt -> password");
	buf_reset(&b);

	smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
	tap_is_int(smtp_sasl_step(s, "not base64!", &b, &e), ERR_PROTOCOL,
	    "LOGIN: malformed challenge");
	tap_ok(b.len == 0, "LOGIN: nothing sent for a malformed challenge");
	buf_free(&b);
	smtp_sasl_free(s);
}

static void
test_selection(void)
{
	struct buf b;
	const char *name;
	struct err e;
	bool has;

	buf_init(&b, 1024);
	start(NULL, "LOGIN PLAIN", true, false, &name, &b, &has, &e);
	tap_is_str(name, "PLAIN", "best: PLAIN over LOGIN");
	buf_reset(&b);
	start(NULL, "CRAM-MD5 LOGIN", true, false, &name, &b, &has, &e);
	tap_is_str(name, "LOGIN", "best: LOGIN when PLAIN is not offered");
	tap_is_int(start(NULL, "GSSAPI", true, false, &name, &b, &has, &e),
	    ERR_NOPERM, "best: nothing usable");
	tap_is_int(start("LOGIN", "PLAIN", true, false, &name, &b, &has, &e),
	    ERR_NOPERM, "forced: not offered");
	tap_is_str(e.msg, "server does not offer AUTH LOGIN",
	    "forced: not offered: message");
	tap_is_int(start("FOO", "FOO", true, false, &name, &b, &has, &e),
	    ERR_NOPERM, "forced: unsupported mechanism");
	tap_is_int(start(NULL, NULL, true, false, &name, &b, &has, &e),
	    ERR_NOPERM, "no AUTH");
	tap_is_str(e.msg, "server does not offer AUTH", "no AUTH: message");
	buf_free(&b);
}

static void
test_policy(void)
{
	struct buf b;
	const char *name;
	struct err e;
	bool has;

	buf_init(&b, 1024);
	tap_is_int(start(NULL, "PLAIN", false, false, &name, &b, &has, &e),
	    ERR_NOPERM, "no TLS, no plaintext: refused");
	tap_is_str(e.msg, "refusing AUTH PLAIN without TLS: it would expose "
	    "the credentials (auth_plaintext off)", "no TLS: message");
	tap_ok(b.len == 0, "no TLS: nothing produced");
	tap_is_int(start("LOGIN", "LOGIN", false, false, &name, &b, &has, &e),
	    ERR_NOPERM, "no TLS: LOGIN refused too");
	tap_is_int(start(NULL, "PLAIN", false, true, &name, &b, &has, &e),
	    ERR_OK, "no TLS but auth_plaintext on, loopback: allowed");
	tap_is_str(buf_str(&b), "AHVzZXIAcGFzcw==", "plaintext: payload");
	buf_free(&b);
}

/* One start with every policy input; returns the rc. */
static enum err_kind
start_policy(const char *mech, bool tls, bool plaintext, bool local,
    struct err *e)
{
	struct smtp_sasl_conf conf = { .mech = mech, .user = "user",
	    .password = &pw, .allow_plaintext = plaintext,
	    .peer_local = local };
	struct smtp_sasl *s = smtp_sasl_new(&conf);
	struct smtp_caps caps;
	const char *name;
	struct buf b;
	bool has;
	enum err_kind rc;

	buf_init(&b, 4096);
	offer(&caps, "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 "
	    "OAUTHBEARER EXTERNAL");
	err_clear(e);
	rc = smtp_sasl_start(s, &caps, tls, &name, &b, &has, e);
	buf_wipe_free(&b);
	smtp_sasl_free(s);
	return rc;
}

/* TLS x auth_plaintext x peer_local x each mechanism. */
static void
test_policy_matrix(void)
{
	static const char *const all[] = { "PLAIN", "LOGIN", "CRAM-MD5",
	    "XOAUTH2", "OAUTHBEARER", "EXTERNAL", "SCRAM-SHA-1",
	    "SCRAM-SHA-256" };
	struct err e;
	char name[128];
	size_t i;
	int bits;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		for (bits = 0; bits < 8; bits++) {
			bool tls = bits & 1, pt = bits & 2, local = bits & 4;
			bool scram = strncmp(all[i], "SCRAM", 5) == 0;
			bool want = tls || scram || (pt && local);

			snprintf(name, sizeof(name), "policy %s tls=%d "
			    "plaintext=%d local=%d: %s", all[i], tls, pt,
			    local, want ? "allowed" : "refused");
			tap_is_int(start_policy(all[i], tls, pt, local, &e),
			    want ? ERR_OK : ERR_NOPERM, name);
		}
	start_policy("PLAIN", false, true, false, &e);
	tap_is_str(e.msg, "refusing AUTH PLAIN without TLS: auth_plaintext "
	    "applies only to a server on loopback", "remote: message");
	/* auth on, no TLS: SCRAM is the one allowed, even if ranked lower. */
	tap_is_int(start_policy(NULL, false, false, false, &e), ERR_OK,
	    "auth on, no TLS: SCRAM chosen");
}

/* `auth on`: the order of preference, one offer at a time. */
static void
test_selection_order(void)
{
	static const struct {
		const char *offer;
		bool cb;
		const char *want;
	} cases[] = {
		{ "PLAIN SCRAM-SHA-1-PLUS SCRAM-SHA-256-PLUS SCRAM-SHA-256",
		    true, "SCRAM-SHA-256-PLUS" },
		{ "PLAIN SCRAM-SHA-1-PLUS SCRAM-SHA-256", true,
		    "SCRAM-SHA-1-PLUS" },
		{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256 SCRAM-SHA-1", false,
		    "SCRAM-SHA-256" },
		{ "PLAIN SCRAM-SHA-1 LOGIN", false, "SCRAM-SHA-1" },
		{ "CRAM-MD5 LOGIN PLAIN XOAUTH2", false, "PLAIN" },
		{ "CRAM-MD5 LOGIN OAUTHBEARER", false, "LOGIN" },
		{ "EXTERNAL CRAM-MD5", false, "CRAM-MD5" },
	};
	struct smtp_sasl_conf conf = { .user = "user", .password = &pw };
	struct smtp_caps caps;
	const char *name;
	struct buf b;
	struct err e;
	size_t i;
	bool has;

	buf_init(&b, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smtp_sasl *s = smtp_sasl_new(&conf);

		if (cases[i].cb)
			smtp_sasl_set_channel_binding(s, "tls-exporter",
			    "0123456789abcdef0123456789abcdef", 32, &e);
		offer(&caps, cases[i].offer);
		name = "(none)";
		smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
		tap_is_str(name, cases[i].want, cases[i].offer);
		buf_reset(&b);
		smtp_sasl_free(s);
	}
	tap_is_int(start(NULL, "XOAUTH2 OAUTHBEARER EXTERNAL", true, false,
	    &name, &b, &has, &e), ERR_NOPERM,
	    "auth on: OAuth and EXTERNAL only when named");
	tap_is_int(start("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256-PLUS", true,
	    false, &name, &b, &has, &e), ERR_NOPERM,
	    "forced -PLUS without channel binding: refused");
	tap_is_str(e.msg, "AUTH SCRAM-SHA-256-PLUS needs TLS channel binding",
	    "forced -PLUS: message");
	buf_free(&b);
}

/* A client for mech with conf c, started against offer; NULL on error. */
static struct smtp_sasl *
client(const struct smtp_sasl_conf *c, const char *offered, struct buf *init,
    const char **name)
{
	struct smtp_sasl *s = smtp_sasl_new(c);
	struct smtp_caps caps;
	struct err e;
	bool has;

	offer(&caps, offered);
	if (smtp_sasl_start(s, &caps, true, name, init, &has, &e) != ERR_OK) {
		tap_diag("start: %s", e.msg);
		smtp_sasl_free(s);
		return NULL;
	}
	return s;
}

/* RFC 2195 section 2's example. */
static void
test_cram(void)
{
	struct secret tpw;
	struct smtp_sasl_conf c = { .mech = "CRAM-MD5", .user = "tim",
	    .password = &tpw };
	struct smtp_sasl *s;
	const char *name;
	struct buf b;
	struct err e;

	secret_init(&tpw);
	secret_set(&tpw, "tanstaaftanstaaf", 16);
	buf_init(&b, 1024);
	s = client(&c, "CRAM-MD5", &b, &name);
	tap_ok(s != NULL && b.len == 0, "CRAM-MD5: no initial response");
	tap_is_int(smtp_sasl_step(s, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2Uu"
	    "cmVzdG9uLm1jaS5uZXQ+", &b, &e), ERR_OK, "CRAM-MD5: step");
	/* "tim b913a602c7eda7a495b4e6e7334d3890" */
	tap_is_str(buf_str(&b), "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNG"
	    "QzODkw", "CRAM-MD5: RFC 2195 response");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "PDE+", &b, &e), ERR_PROTOCOL,
	    "CRAM-MD5: a second challenge is refused");
	smtp_sasl_free(s);
	buf_free(&b);
	secret_free(&tpw);
}

static void
b64(struct buf *out, const char *s)
{
	buf_reset(out);
	base64_encode(out, s, strlen(s));
}

/* Decode base64 text into a C string (for readable comparisons). */
static const char *
unb64(struct buf *out, const char *s)
{
	buf_reset(out);
	if (base64_decode(out, s, strlen(s)) == -1)
		return "(bad base64)";
	return buf_str(out);
}

struct vector {
	const char *mech, *cnonce, *first, *server_first, *final, *v;
};

/* RFC 5802 section 5 and RFC 7677 section 3 (user "user", "pencil"). */
static const struct vector vectors[] = {
	{ "SCRAM-SHA-1", "fyko+d2lbbFgONRv9qkxdawL",
	    "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
	    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,"
	    "i=4096",
	    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	    "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
	{ "SCRAM-SHA-256", "rOprNGfwEbeRWgbNEkqO",
	    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
	    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" },
};

static struct secret pencil;

/* Start SCRAM from vector v and answer its server-first message. */
static struct smtp_sasl *
scram_to_final(const struct vector *v, struct buf *b, struct buf *dec)
{
	struct smtp_sasl_conf c = { .mech = v->mech, .user = "user",
	    .password = &pencil, .test_nonce = v->cnonce };
	struct smtp_sasl *s;
	const char *name;
	struct buf chal;
	struct err e;
	char what[128];

	buf_reset(b);
	if ((s = client(&c, v->mech, b, &name)) == NULL)
		return NULL;
	snprintf(what, sizeof(what), "%s: client-first", v->mech);
	tap_is_str(unb64(dec, buf_str(b)), v->first, what);
	buf_init(&chal, 1024);
	b64(&chal, v->server_first);
	buf_reset(b);
	snprintf(what, sizeof(what), "%s: server-first accepted", v->mech);
	tap_is_int(smtp_sasl_step(s, buf_str(&chal), b, &e), ERR_OK, what);
	snprintf(what, sizeof(what), "%s: client-final (RFC vector)",
	    v->mech);
	tap_is_str(unb64(dec, buf_str(b)), v->final, what);
	buf_free(&chal);
	return s;
}

static void
test_scram_vectors(void)
{
	struct buf b, dec, chal;
	struct smtp_sasl *s;
	struct err e;
	size_t i;
	char what[128];

	buf_init(&b, 4096);
	buf_init(&dec, 4096);
	buf_init(&chal, 4096);
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		if ((s = scram_to_final(&vectors[i], &b, &dec)) == NULL)
			continue;
		b64(&chal, vectors[i].v);
		buf_reset(&b);
		snprintf(what, sizeof(what), "%s: v= in a 334 verifies",
		    vectors[i].mech);
		tap_is_int(smtp_sasl_step(s, buf_str(&chal), &b, &e), ERR_OK,
		    what);
		tap_is_str(buf_str(&b), "", "... answered with an empty line");
		tap_is_int(smtp_sasl_finish(s, "2.7.0 Authentication "
		    "successful", &e), ERR_OK, "... and 235 completes");
		smtp_sasl_free(s);
	}
	buf_free(&b);
	buf_free(&dec);
	buf_free(&chal);
}

static void
test_scram_final_in_235(void)
{
	struct buf b, dec, text;
	struct smtp_sasl *s;
	struct err e;

	buf_init(&b, 4096);
	buf_init(&dec, 4096);
	buf_init(&text, 4096);
	s = scram_to_final(&vectors[1], &b, &dec);
	buf_append_str(&text, "2.7.0 ");
	base64_encode(&text, vectors[1].v, strlen(vectors[1].v));
	tap_is_int(smtp_sasl_finish(s, buf_str(&text), &e), ERR_OK,
	    "SCRAM: v= in the 235 text verifies");
	smtp_sasl_free(s);

	s = scram_to_final(&vectors[1], &b, &dec);
	tap_is_int(smtp_sasl_finish(s, "2.7.0 Authentication successful", &e),
	    ERR_PROTOCOL, "SCRAM: 235 without v=: protocol error");
	tap_ok(strncmp(e.msg, "server signature does not verify", 32) == 0,
	    "... server signature does not verify");
	smtp_sasl_free(s);

	s = scram_to_final(&vectors[0], &b, &dec);
	buf_reset(&text);
	buf_append_str(&text, "2.7.0 ");
	base64_encode(&text, vectors[1].v, strlen(vectors[1].v));
	tap_is_int(smtp_sasl_finish(s, buf_str(&text), &e), ERR_PROTOCOL,
	    "SCRAM: a wrong v= in the 235 text: protocol error");
	smtp_sasl_free(s);
	buf_free(&b);
	buf_free(&dec);
	buf_free(&text);
}

/* A server-first message (text) against vector 0's client; the rc. */
static enum err_kind
scram_first_reply(const char *server_first, struct err *e)
{
	struct smtp_sasl_conf c = { .mech = "SCRAM-SHA-1", .user = "user",
	    .password = &pencil, .test_nonce = "fyko+d2lbbFgONRv9qkxdawL" };
	struct smtp_sasl *s;
	struct buf b, chal;
	const char *name;
	enum err_kind rc;

	buf_init(&b, 4096);
	buf_init(&chal, 4096);
	s = client(&c, "SCRAM-SHA-1", &b, &name);
	b64(&chal, server_first);
	buf_reset(&b);
	err_clear(e);
	rc = smtp_sasl_step(s, buf_str(&chal), &b, e);
	smtp_sasl_free(s);
	buf_free(&b);
	buf_free(&chal);
	return rc;
}

static void
test_scram_bad_server(void)
{
	struct buf b, dec, chal;
	struct smtp_sasl *s;
	struct err e;

	buf_init(&b, 4096);
	buf_init(&dec, 4096);
	buf_init(&chal, 4096);
	s = scram_to_final(&vectors[0], &b, &dec);
	/* The RFC 7677 signature is not this exchange's. */
	b64(&chal, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
	tap_is_int(smtp_sasl_step(s, buf_str(&chal), &b, &e), ERR_PROTOCOL,
	    "SCRAM: forged v=: protocol error");
	tap_is_str(e.msg, "server signature does not verify",
	    "SCRAM: forged v=: message");
	smtp_sasl_free(s);
	s = scram_to_final(&vectors[0], &b, &dec);
	b64(&chal, "e=invalid-proof");
	tap_is_int(smtp_sasl_step(s, buf_str(&chal), &b, &e), ERR_NOPERM,
	    "SCRAM: e= in the final message: refused");
	tap_is_str(e.msg, "AUTH SCRAM-SHA-1: server error: invalid-proof",
	    "SCRAM: e=: message");
	smtp_sasl_free(s);

	tap_is_int(scram_first_reply("e=unknown-user", &e), ERR_NOPERM,
	    "SCRAM: e= in server-first");
	tap_is_int(scram_first_reply("r=fyko+d2lbbFgONRv9qkxdawL3rfc,"
	    "s=QSXCR+Q6sek8bf92,i=0", &e), ERR_PROTOCOL, "SCRAM: i=0");
	tap_is_int(scram_first_reply("r=fyko+d2lbbFgONRv9qkxdawL3rfc,"
	    "s=QSXCR+Q6sek8bf92,i=1000001", &e), ERR_PROTOCOL,
	    "SCRAM: i over 1,000,000 (CPU cap)");
	tap_is_int(scram_first_reply("r=fyko+d2lbbFgONRv9qkxdawL3rfc,"
	    "s=QSXCR+Q6sek8bf92,i=1", &e), ERR_OK, "SCRAM: i=1 accepted");
	tap_is_int(scram_first_reply("r=someoneelse3rfc,s=QSXCR+Q6sek8bf92,"
	    "i=4096", &e), ERR_PROTOCOL, "SCRAM: nonce not ours");
	tap_is_int(scram_first_reply("r=fyko+d2lbbFgONRv9qkxdawL,"
	    "s=QSXCR+Q6sek8bf92,i=4096", &e), ERR_PROTOCOL,
	    "SCRAM: nonce not extended");
	tap_is_int(scram_first_reply("r=fyko+d2lbbFgONRv9qkxdawL3rfc,"
	    "s=%%%,i=4096", &e), ERR_PROTOCOL, "SCRAM: bad salt");
	tap_is_int(scram_first_reply("m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rfc,"
	    "s=QSXCR+Q6sek8bf92,i=4096", &e), ERR_PROTOCOL,
	    "SCRAM: mandatory extension");
	buf_free(&b);
	buf_free(&dec);
	buf_free(&chal);
}

/* The gs2 header: n, y (we could bind, the server offers no -PLUS), p=. */
static void
test_scram_gs2(void)
{
	struct smtp_sasl_conf c = { .user = "us,er=", .password = &pencil,
	    .test_nonce = "abc" };
	static const unsigned char cb[4] = { 1, 2, 3, 4 };
	struct smtp_sasl *s;
	struct buf b, dec;
	const char *name;
	struct err e;
	bool has;
	struct smtp_caps caps;

	buf_init(&b, 4096);
	buf_init(&dec, 4096);
	s = client(&c, "SCRAM-SHA-256", &b, &name);
	tap_is_str(unb64(&dec, buf_str(&b)), "n,,n=us=2Cer=3D,r=abc",
	    "gs2: n without channel binding; saslname escaped");
	smtp_sasl_free(s);

	s = smtp_sasl_new(&c);
	smtp_sasl_set_channel_binding(s, "tls-exporter", cb, 4, &e);
	offer(&caps, "SCRAM-SHA-256");
	buf_reset(&b);
	smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
	tap_is_str(unb64(&dec, buf_str(&b)), "y,,n=us=2Cer=3D,r=abc",
	    "gs2: y when the server offers no -PLUS");
	offer(&caps, "SCRAM-SHA-256-PLUS SCRAM-SHA-256");
	buf_reset(&b);
	smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
	tap_is_str(name, "SCRAM-SHA-256-PLUS", "gs2: -PLUS chosen");
	tap_is_str(unb64(&dec, buf_str(&b)),
	    "p=tls-exporter,,n=us=2Cer=3D,r=abc", "gs2: p=tls-exporter");
	smtp_sasl_free(s);
	buf_free(&b);
	buf_free(&dec);
}

static void
test_oauth(void)
{
	struct secret tok;
	struct smtp_sasl_conf c = { .mech = "XOAUTH2",
	    .user = "someuser@example.com", .password = &tok,
	    .host = "server.example.com", .port = 587 };
	struct smtp_sasl *s;
	struct buf b, dec;
	const char *name;
	struct err e;

	secret_init(&tok);
	secret_set(&tok, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", 42);
	buf_init(&b, 4096);
	buf_init(&dec, 4096);
	s = client(&c, "XOAUTH2", &b, &name);
	tap_is_str(unb64(&dec, buf_str(&b)), "user=someuser@example.com\001"
	    "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001",
	    "XOAUTH2: exact initial response");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "eyJzdGF0dXMiOiI0MDEifQ==", &b, &e),
	    ERR_OK, "XOAUTH2: the JSON error is answered");
	tap_is_str(buf_str(&b), "", "XOAUTH2: ... with an empty line");
	tap_is_int(smtp_sasl_step(s, "eyJzdGF0dXMiOiI0MDEifQ==", &b, &e),
	    ERR_PROTOCOL, "XOAUTH2: only once");
	smtp_sasl_free(s);

	c.mech = "OAUTHBEARER";
	buf_reset(&b);
	s = client(&c, "OAUTHBEARER", &b, &name);
	/* RFC 7628 section 4.1, with the token above. */
	tap_is_str(unb64(&dec, buf_str(&b)), "n,a=someuser@example.com,\001"
	    "host=server.example.com\001port=587\001auth=Bearer "
	    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001",
	    "OAUTHBEARER: exact initial response");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=",
	    &b, &e), ERR_OK, "OAUTHBEARER: the JSON error is answered");
	tap_is_str(buf_str(&b), "AQ==", "OAUTHBEARER: ... with ^A");
	smtp_sasl_free(s);
	c.host = NULL;
	c.port = 0;
	buf_reset(&b);
	s = client(&c, "OAUTHBEARER", &b, &name);
	tap_is_str(unb64(&dec, buf_str(&b)), "n,a=someuser@example.com,\001"
	    "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001",
	    "OAUTHBEARER: no host, no port");
	smtp_sasl_free(s);
	buf_free(&b);
	buf_free(&dec);
	secret_free(&tok);
}

static void
test_external(void)
{
	struct smtp_sasl_conf c = { .mech = "EXTERNAL", .user = "user" };
	struct smtp_sasl *s;
	struct buf b;
	const char *name;

	buf_init(&b, 1024);
	s = client(&c, "EXTERNAL", &b, &name);
	tap_is_str(buf_str(&b), "dXNlcg==", "EXTERNAL: authzid = user");
	smtp_sasl_free(s);
	c.user = NULL;
	buf_reset(&b);
	s = client(&c, "EXTERNAL", &b, &name);
	tap_is_str(buf_str(&b), "=", "EXTERNAL: no user: \"=\"");
	smtp_sasl_free(s);
	buf_free(&b);
}

static void
prep_is(const char *in, const char *want, const char *name)
{
	struct buf b;

	buf_init(&b, 256);
	if (sasl_saslprep(in, strlen(in), &b) == -1)
		tap_is_str("(refused)", want != NULL ? want : "(refused)",
		    name);
	else
		tap_is_str(buf_str(&b), want != NULL ? want : "(refused)",
		    name);
	buf_free(&b);
}

/* RFC 4013 section 3's examples, where no NFKC is involved. */
static void
test_saslprep(void)
{
	prep_is("user", "user", "SASLprep: ASCII unchanged");
	prep_is("I\xc2\xadX", "IX", "SASLprep: soft hyphen mapped to nothing");
	prep_is("a\xc2\xa0" "b", "a b", "SASLprep: NBSP mapped to SPACE");
	prep_is("\x07", NULL, "SASLprep: control refused");
	prep_is("a\xd8\xa7" "1", "a\xd8\xa7" "1",
	    "SASLprep: other UTF-8 passes (no bidi check)");
	prep_is("\xc2\xaa", "\xc2\xaa", "SASLprep: no NFKC (documented gap)");
	prep_is("\xc3", NULL, "SASLprep: truncated UTF-8 refused");
	prep_is("\xc0\xaf", NULL, "SASLprep: overlong UTF-8 refused");
	prep_is("\xee\x80\x80", NULL, "SASLprep: private use refused");
}

int
main(void)
{
	secret_init(&pw);
	secret_set(&pw, "pass", 4);
	test_plain();
	test_login();
	secret_init(&pencil);
	secret_set(&pencil, "pencil", 6);
	test_selection();
	test_selection_order();
	test_policy();
	test_policy_matrix();
	test_cram();
	test_scram_vectors();
	test_scram_final_in_235();
	test_scram_bad_server();
	test_scram_gs2();
	test_oauth();
	test_external();
	test_saslprep();
	secret_free(&pencil);
	secret_free(&pw);
	return tap_done();
}
