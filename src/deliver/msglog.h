/*
 * deliver_msglog: the one log line per message (for syslog or a log
 * file), as key=value text or as one JSON object.  Pure: it formats what
 * the caller collected (deliver_submit_result, timings) and does no I/O.
 *
 * TEXT, keys in this order, separated by single spaces:
 *   msgid=<ID> from=<SENDER> size=N relay=RELAY tls=VER
 *   tls_policy=POLICY delay=S.SSS outcome=OUTCOME
 * then for each recipient " to=<ADDR> status=STATUS reply="TEXT"", then
 * " more=N" when recipients were left out (see the cap), then
 * " error="TEXT"".  msgid, tls and tls_policy (direct MX delivery only)
 * are left out when unset, relay reads "relay=none" when no connection
 * was made (so every line has a relay=),
 * reply and error are left out when empty; from=<> is the null sender.
 * Values are written three ways:
 *   <...>   msgid, from, to: '\' as "\\", '>' as "\x3e";
 *   "..."   reply, error: '\' as "\\", '"' as "\"";
 *   bare    relay, tls, tls_policy, outcome, status when every byte is
 *           printable ASCII other than space, '"' and '\'; else quoted
 *           as "...".
 * In every value a control byte (< 0x20, 0x7f), a byte that is not part
 * of well-formed UTF-8 (util/utf8.h), and each byte of a C1 control
 * (U+0080..U+009F), U+2028 or U+2029 (line breaks to some readers) is
 * written "\xHH" (lower-case hex); other UTF-8 passes unchanged.  So a
 * hostile reply, address or Message-ID can neither split the line nor
 * forge a key, and the original bytes can be recovered.
 *
 * JSON (RFC 8259), one object, keys in the same order:
 *   {"msgid":"...","from":"...","size":N,"relay":"...","tls":"...",
 *    "tls_policy":"...","delay":0.123,"outcome":"...",
 *    "recipients":[{"to":"...","status":"...","reply":"..."}],"more":N,
 *    "error":"..."}
 * Absent values are left out, never null: msgid, relay, tls, tls_policy,
 * error when unset, "reply" when empty, "more" when no recipient was left out;
 * "from" and "recipients" are always there ("" is the null sender).
 * Strings escape '"', '\', \b \f \n \r \t, other control bytes, DEL, C1
 * controls, U+2028 and U+2029 as \u00xx / \uxxxx (lower-case hex); a
 * byte that is not part of well-formed UTF-8 becomes \ufffd (so the
 * output is always valid JSON and valid UTF-8, but such bytes are lost).
 *
 * Both: NULL reads as "" everywhere.  delay is duration_ms as seconds
 * with three decimals (a negative duration reads 0.000).  A value longer
 * than DELIVER_MSGLOG_VALUE_MAX bytes is cut there (at a character
 * boundary) and ends in "..." inside its quotes or brackets.
 *
 * The cap: the line is at most DELIVER_MSGLOG_MAX bytes, or the room left
 * in out (out->max - out->len) when that is less.  A line that fits is
 * never cut; otherwise recipients are listed in order while they fit with
 * room for the marker more=N / "more":N, which counts the rest, so the
 * line stays whole and valid.  With the value cut above, every line
 * without recipients fits DELIVER_MSGLOG_MAX.
 */
#ifndef POSTIE_DELIVER_MSGLOG_H
#define POSTIE_DELIVER_MSGLOG_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define DELIVER_MSGLOG_MAX 65536	/* bytes in one line, at most */
#define DELIVER_MSGLOG_VALUE_MAX 1000	/* bytes of one value before "..." */

enum deliver_msglog_format {
	DELIVER_MSGLOG_TEXT,
	DELIVER_MSGLOG_JSON
};

struct deliver_msglog_rcpt {
	const char *addr;
	const char *status;	/* "sent" | "deferred" | "bounced" */
	const char *reply;	/* server reply or reason; NULL/"" when none */
};

/* Every pointer is borrowed for the call only. */
struct deliver_msglog {
	const char *msgid;	/* Message-ID without <>, or a queue id;
				 * NULL/"" when none */
	const char *from;	/* envelope sender, "" = null sender */
	const struct deliver_msglog_rcpt *rcpts;
	size_t nrcpt;
	const char *relay;	/* "host [addr:port]"; NULL/"" when no
				 * connection was made */
	const char *tls;	/* "TLSv1.3"...; NULL/"" when none */
	const char *policy;	/* MX delivery: "dane:dane-ee"...; NULL/""
				 * for a smarthost */
	unsigned long long size; /* message bytes */
	long long duration_ms;	/* wall time of the submission */
	const char *outcome;	/* "sent" | "partial" | "deferred" |
				 * "bounced" | "failed" */
	const char *error;	/* why the whole session failed; NULL/"" when
				 * it did not */
};

/*
 * Append one line for m in format f to out, without a trailing newline.
 * Returns ERR_OK, or ERR_OS when memory ran out or the line without any
 * recipient does not fit the room left in out; then out is unchanged.
 */
enum err_kind deliver_msglog_format(const struct deliver_msglog *m,
    enum deliver_msglog_format f, struct buf *out, struct err *e);

#endif
