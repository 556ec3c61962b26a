/*
 * queue_env: the envelope and state file of a queue entry, pure: a struct
 * in, text out, and back.  No file descriptor, clock, environment or global.
 *
 * The text is one item a line, each line ending in LF, in this order:
 *
 *   postie-queue 1                  format and version (first line)
 *   id 01hx3k7a9q2m4v8c0b5n         the entry's id (queue_env_valid_id())
 *   created 1700000000              unix seconds
 *   attempts 3
 *   next 1700003600                 next attempt, unix seconds
 *   last 1700001800                 last attempt, 0 when none
 *   account work                    optional: the account it was sent with
 *   from alice@example.org          the envelope sender; "from <>" is null
 *   ret HDRS                        optional: DSN RET, FULL or HDRS
 *   envid QQ314159                  optional: DSN ENVID (-V, as given)
 *   notify SUCCESS,FAILURE          optional: DSN NOTIFY (-N)
 *   body 8BITMIME                   optional: BODY, 7BIT or 8BITMIME
 *   smtputf8                        flag: SMTPUTF8 was asked for
 *   bounce                          flag: the entry is itself a bounce
 *   rcpt pending bob@example.net <> one a recipient, in order: state,
 *   rcpt sent carol@x.test 250%202.0.0%20OK     address, last reply
 *   end                             last line: a file without it is cut
 *
 * Every value is escaped so that it cannot break a line or a field: bytes
 * below 0x21, 0x7f and '%' as %XX (upper-case hex), a '<' that starts a
 * value as %3C, and the empty value as "<>".  Bytes >= 0x80 (UTF-8) are
 * kept as they are.  Values are stored, not interpreted: the caller checks
 * addresses before they get here; only ret, body and the sizes are checked.
 * A value never holds NUL (%00 is refused).
 *
 * The parser is strict, since anything unexpected means a damaged file:
 * wrong or missing version line, unknown or repeated keys, a missing
 * required key (id, created, attempts, next, last, from), a bad number
 * (decimal, no sign, no leading zero), a bad escape, a bad recipient
 * state, a value over its cap, more than QUEUE_ENV_RCPT_MAX recipients, a
 * text over QUEUE_ENV_FILE_MAX, no "end" line, or anything after it.  An
 * entry may have no recipient line (every recipient handled elsewhere).
 *
 * Lifecycle: queue_env_init(), setters or queue_env_parse(), then
 * queue_env_free() (which leaves it initialised, so it may be reused).
 * The struct owns its strings; set them through the functions below.
 *
 * Errors: ERR_DATA "queue entry: line N: why" from queue_env_parse();
 * ERR_DATA for a value over its cap or not allowed in a setter or in
 * queue_env_format() (text over QUEUE_ENV_FILE_MAX); ERR_SOFTWARE for an
 * env that cannot be written (no id, no sender); ERR_OS on ENOMEM.
 */
#ifndef POSTIE_QUEUE_ENV_H
#define POSTIE_QUEUE_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/address.h"
#include "util/buf.h"
#include "util/err.h"

#define QUEUE_ENV_VERSION 1
#define QUEUE_ID_MIN 16			/* characters in an id */
#define QUEUE_ID_MAX 20
#define QUEUE_ENV_FILE_MAX (64u << 20)	/* the text, in bytes */
#define QUEUE_ENV_RCPT_MAX 100000	/* recipients in one entry */
#define QUEUE_ENV_ADDR_MAX MAIL_ADDRESS_LEN_MAX
#define QUEUE_ENV_REPLY_MAX 512		/* a recipient's last reply */
#define QUEUE_ENV_VALUE_MAX 1000	/* account, envid, notify */

enum queue_rcpt_state {
	QUEUE_RCPT_PENDING,	/* still to be delivered */
	QUEUE_RCPT_SENT,	/* accepted by a server */
	QUEUE_RCPT_FAILED	/* failed for good (bounced, or no bounce) */
};

struct queue_rcpt {
	char *addr;			/* never empty */
	enum queue_rcpt_state state;
	char *reply;			/* last reply, "" when none */
};

struct queue_env {
	char id[QUEUE_ID_MAX + 1];	/* "" until the store assigns one */
	long long created, next, last;	/* unix seconds, >= 0 */
	unsigned attempts;
	char *account;			/* NULL: none */
	char *from;			/* "" null sender; NULL until set */
	char *ret, *envid, *notify, *body;	/* NULL: not given */
	bool smtputf8, bounce;
	struct queue_rcpt *rcpts;
	size_t nrcpt;
};

/* The optional and string fields, for queue_env_set(). */
enum queue_env_field {
	QUEUE_ENV_ACCOUNT,	/* any bytes but NUL, <= QUEUE_ENV_VALUE_MAX */
	QUEUE_ENV_FROM,		/* "" or an address <= QUEUE_ENV_ADDR_MAX */
	QUEUE_ENV_RET,		/* "FULL" or "HDRS" */
	QUEUE_ENV_ENVID,	/* <= QUEUE_ENV_VALUE_MAX */
	QUEUE_ENV_NOTIFY,	/* <= QUEUE_ENV_VALUE_MAX */
	QUEUE_ENV_BODY		/* "7BIT" or "8BITMIME" */
};

void queue_env_init(struct queue_env *env);
/* Free what env owns and initialise it again.  env may be NULL. */
void queue_env_free(struct queue_env *env);

/*
 * Set field to a copy of value; NULL removes an optional field (and
 * unsets from).  ERR_DATA when the value is not allowed there (env is
 * unchanged then), ERR_OS on ENOMEM.
 */
enum err_kind queue_env_set(struct queue_env *env, enum queue_env_field field,
    const char *value, struct err *e);

/*
 * Append a recipient (copies of addr and reply; reply NULL means "").
 * ERR_DATA for an empty or too long address, a reply over
 * QUEUE_ENV_REPLY_MAX, a bad state, or more than QUEUE_ENV_RCPT_MAX
 * recipients; ERR_OS on ENOMEM.
 */
enum err_kind queue_env_add_rcpt(struct queue_env *env, const char *addr,
    enum queue_rcpt_state state, const char *reply, struct err *e);

/*
 * Set recipient i's state and reply (a copy; NULL means "").  ERR_DATA
 * for a reply over the cap or a bad state, ERR_SOFTWARE for i out of
 * range, ERR_OS on ENOMEM.
 */
enum err_kind queue_env_set_rcpt(struct queue_env *env, size_t i,
    enum queue_rcpt_state state, const char *reply, struct err *e);

/*
 * Append env as text to out (out's cap applies too; give it
 * QUEUE_ENV_FILE_MAX).  On failure out is as it was.  ERR_SOFTWARE when
 * the id is not valid or from is unset, ERR_DATA when the text would pass
 * the cap, ERR_OS on ENOMEM.
 */
enum err_kind queue_env_format(const struct queue_env *env, struct buf *out,
    struct err *e);

/*
 * Parse text[0..len) into env (queue_env_free()d first; on failure env is
 * left initialised and empty).  ERR_DATA "queue entry: line N: why" as
 * described above, ERR_OS on ENOMEM.
 */
enum err_kind queue_env_parse(const char *text, size_t len,
    struct queue_env *env, struct err *e);

/* The number of recipients still pending. */
size_t queue_env_pending(const struct queue_env *env);

/* "pending", "sent", "failed"; "?" for anything else. */
const char *queue_env_state_name(enum queue_rcpt_state state);

/*
 * Whether id is an entry id: QUEUE_ID_MIN to QUEUE_ID_MAX characters, each
 * 0-9 or a-z.  So an id can never name a path ("..", "/", ".env"), and a
 * command-line id is checked with this before it is used.  NULL is not.
 */
bool queue_env_valid_id(const char *id);

/*
 * Make an id from a time and random bytes: 7 characters of base32
 * (0-9a-v, most significant first) of now (clamped to 0..2^35-1), then 13
 * of the first 8 bytes of rnd (65 bits, the last padded with zeros), so
 * ids sort by creation time.  rnd must hold at least 8 bytes.  out gets
 * QUEUE_ID_MAX characters and a NUL.
 */
void queue_env_make_id(long long now, const unsigned char *rnd,
    char out[QUEUE_ID_MAX + 1]);

#endif
