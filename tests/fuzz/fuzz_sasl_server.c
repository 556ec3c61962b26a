/*
 * fuzz_sasl_server: arbitrary client responses through each SASL server
 * mechanism (smtp/sasl_server.h).  The first byte picks the mechanism
 * and whether channel binding and an external identity are set; the
 * rest is split at "\n" into response lines, the first of them the
 * initial response ("-" stands for none).  Low SCRAM iteration counts
 * keep runs fast.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp/sasl_server.h"

#define FUZZ_LINE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const mechs[] = {
	"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
	"SCRAM-SHA-1", "PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER",
	"EXTERNAL",
};

static int
password(void *arg, const char *user, struct secret *pw)
{
	(void)arg;
	return strcmp(user, "user") == 0 ? secret_set(pw, "pencil", 6) : -1;
}

static int
token(void *arg, const char *user, const char *tok)
{
	(void)arg;
	return strcmp(user, "user") == 0 && strcmp(tok, "tok") == 0 ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_sasl_server_conf conf = { .password = password,
	    .token = token, .scram_iterations = 2 };
	struct smtp_sasl_server *s;
	char line[FUZZ_LINE_MAX + 1];
	const uint8_t *p, *nl, *end = data + size;
	struct buf out;
	size_t n;
	bool first = true;

	if (size == 0)
		return 0;
	if (data[0] & 0x10) {
		conf.cb_type = "tls-exporter";
		conf.cb_data = "0123456789abcdef";
		conf.cb_len = 16;
	}
	if (data[0] & 0x20)
		conf.external_id = "user";
	conf.forge_scram_signature = (data[0] & 0x40) != 0;
	s = smtp_sasl_server_new(mechs[(data[0] & 0x0f) % 10], &conf);
	if (s == NULL)
		return 0;
	buf_init(&out, 16384);
	for (p = data + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > FUZZ_LINE_MAX)
			n = FUZZ_LINE_MAX;
		memcpy(line, p, n);
		line[n] = '\0';
		buf_reset(&out);
		if (smtp_sasl_server_step(s, first && strcmp(line, "-") == 0 ?
		    NULL : line, &out) != SMTP_SASL_SERVER_CONTINUE)
			break;
		first = false;
	}
	(void)smtp_sasl_server_user(s);
	buf_free(&out);
	smtp_sasl_server_free(s);
	return 0;
}
