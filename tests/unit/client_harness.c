#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_harness.h"
#include "tap.h"

bool bytewise;

static const char *const outcome_names[] = { "OK", "TEMP", "PERM" };

static void
on_trace(void *arg, enum smtp_client_dir dir, const char *line, size_t len)
{
	struct h *h = arg;

	buf_append_str(&h->trace, dir == SMTP_CLIENT_SENT ? "C: " :
	    dir == SMTP_CLIENT_RECV ? "S: " : "I: ");
	buf_append(&h->trace, line, len);
	buf_append_str(&h->trace, "\n");
}

static void log_ev(struct h *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_ev(struct h *h, const char *fmt, ...)
{
	char tok[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tok, sizeof(tok), fmt, ap);
	va_end(ap);
	if (h->ev[0] != '\0')
		strlcat(h->ev, " ", sizeof(h->ev));
	strlcat(h->ev, tok, sizeof(h->ev));
}

void
drain(struct h *h)
{
	struct smtp_client_event ev;
	struct err e;
	char idx[16];

	while (smtp_client_next_event(h->c, &ev) != SMTP_CLIENT_EV_NONE) {
		switch (ev.type) {
		case SMTP_CLIENT_EV_READY:
			log_ev(h, "READY");
			if (h->next_txn < h->ntxn) {
				if (smtp_client_mail(h->c, h->txn[h->next_txn++],
				    &e) != ERR_OK)
					log_ev(h, "MAILERR:%s", e.msg);
			} else if (h->quit_at_ready) {
				smtp_client_quit(h->c);
			}
			break;
		case SMTP_CLIENT_EV_NEED_BODY:
			log_ev(h, "BODY");
			if (h->body != NULL) {
				smtp_client_body(h->c, h->body, strlen(h->body));
				smtp_client_body_end(h->c);
			}
			break;
		case SMTP_CLIENT_EV_NEED_TLS:
			log_ev(h, "TLS");
			if (h->auto_tls)
				smtp_client_tls_started(h->c);
			break;
		case SMTP_CLIENT_EV_RCPT:
			snprintf(idx, sizeof(idx), "R%zu:%s", ev.rcpt_index,
			    outcome_names[ev.outcome]);
			log_ev(h, "%s:%d%s", idx,
			    ev.reply != NULL ? ev.reply->code : 0,
			    ev.deferred ? ":D" : "");
			strlcpy(h->rcpt_text, ev.text, sizeof(h->rcpt_text));
			break;
		case SMTP_CLIENT_EV_TXN_DONE:
			log_ev(h, "T:%s:%zu", outcome_names[ev.outcome],
			    ev.accepted);
			break;
		case SMTP_CLIENT_EV_DONE:
			log_ev(h, "DONE");
			break;
		case SMTP_CLIENT_EV_FAILED:
			log_ev(h, "F:%s", err_kind_name(ev.err));
			strlcpy(h->fail_text, ev.text, sizeof(h->fail_text));
			break;
		default:
			log_ev(h, "BAD");
			break;
		}
	}
}

void
h_init(struct h *h, const char *helo, enum smtp_client_tls tls,
    struct smtp_sasl *sasl)
{
	struct smtp_client_conf conf;

	memset(h, 0, sizeof(*h));
	buf_init(&h->trace, 1 << 20);
	memset(&conf, 0, sizeof(conf));
	conf.helo_name = helo;
	conf.tls = tls;
	conf.sasl = sasl;
	conf.trace = on_trace;
	conf.trace_arg = h;
	h->c = smtp_client_new(&conf);
	h->body = "hello\n.dot\n";
	h->auto_tls = true;
}

void
h_free(struct h *h)
{
	smtp_client_free(h->c);
	buf_free(&h->trace);
}

void
srv(struct h *h, const char *s)
{
	size_t i, n = strlen(s);

	if (!bytewise) {
		smtp_client_feed(h->c, s, n);
		drain(h);
		return;
	}
	for (i = 0; i < n; i++) {
		smtp_client_feed(h->c, s + i, 1);
		drain(h);
	}
}

void
out_is(struct h *h, const char *want, const char *name)
{
	const void *p;
	size_t len;
	char full[160];

	drain(h);
	p = smtp_client_output(h->c, &len);
	snprintf(full, sizeof(full), "%s%s: sent", name,
	    bytewise ? " (bytewise)" : "");
	tap_is_mem(p, len, want, strlen(want), full);
	smtp_client_output_consume(h->c, len);
}

void
ev_is(struct h *h, const char *want, const char *name)
{
	char full[160];

	drain(h);
	snprintf(full, sizeof(full), "%s%s: events", name,
	    bytewise ? " (bytewise)" : "");
	tap_is_str(h->ev, want, full);
	h->ev[0] = '\0';
}

void
h_ready(struct h *h, const char *ehlo_reply, const char *name)
{
	srv(h, "220 mx.example ESMTP\r\n");
	out_is(h, "EHLO client.example\r\n", name);
	srv(h, ehlo_reply);
}
