/*
 * conf_aliases: the /etc/aliases format of Sendmail and Postfix
 * (aliases(5)), pure (no file, no environment): text in, expanded
 * recipients out.
 *
 *   # a comment: a line whose first non-blank is '#'
 *   postmaster: root
 *   root:       root, admin@example.org,
 *               "Ops, on call" <ops@example.org>
 *   default:    me@example.org
 *
 * An entry is NAME, optional blanks, ':', then targets separated by
 * commas.  A line that begins with a blank continues the entry above it;
 * blank lines and comment lines are skipped and end nothing, so a later
 * indented line still continues that entry (Postfix's rule).  '#' later
 * in a line is not a comment.  A NAME is a run of bytes other than
 * blanks, ':' and '#'; it may not hold '@'.  Names match case-insensitively
 * (ASCII).  Lines end in LF or CRLF.
 *
 * Targets are RFC 5322 address lists (mail_address_parse_list(), so
 * "Name <a@b>" and "a,b"@x.test work); a comma inside quotes, a comment,
 * angle brackets or a group does not split.  A target that begins with
 * '|' (a program), '/' (a file) or ":include:" (a list file), quoted or
 * not, is kept but cannot be used: postie has no local delivery.  An old
 * system file may hold such entries; only expanding one fails.  A target
 * "\name" (Sendmail) is the local mailbox name, never expanded.
 *
 * Expansion (conf_aliases_expand()): an address is local when it has no
 * '@' (outside a quoted local part) or its domain equals localhost.  A
 * local address whose local part names an entry is replaced by that
 * entry's targets, recursively.  A local name with no entry goes to the
 * `default` entry's targets when there is one (the catch-all), else stays
 * as written; this holds for recipients and for targets alike, except
 * inside the expansion of `default` itself, where such names stay as
 * written (so `default: bob` does not loop).  `default` is also an
 * ordinary name: a recipient or target "default" gets its list.  Other
 * addresses stay as written.
 *
 * A target naming its own entry (`root: root, admin@x`, Sendmail's rule)
 * means the mailbox itself: it is kept as written, not expanded.  Any
 * other entry reached again along its own expansion chain is a loop.
 *
 * Errors (ERR_CONFIG, "FILE:LINE: why"):
 *   parsing: a line without ':' after the name, an empty name, a name
 *   with '@', an entry without targets, a continuation line before any
 *   entry, a name defined twice ("already defined at line N": unlike
 *   Postfix, which warns and keeps the first, postie refuses to guess),
 *   a target that is no valid address list, a line over
 *   CONF_ALIASES_LINE_MAX, a NUL or other control byte (tab excepted),
 *   a text over CONF_ALIASES_TEXT_MAX ("FILE: larger than N bytes").
 *   expanding (LINE: the target that took the step): "alias loop: a ->
 *   b -> a"; "alias 'x': postie cannot deliver to a program|a file|an
 *   :include: list: TARGET"; "alias 'x': nested deeper than 32 aliases"
 *   (CONF_ALIASES_DEPTH_MAX); "alias 'x': expands to more than 100000
 *   targets" (CONF_ALIASES_VISITS_MAX targets walked for one address,
 *   however many are duplicates; x and LINE are the first alias's).
 * ERR_OS on ENOMEM.  ERR_DATA when mail_address_list_add() refuses an
 * address (out full, an empty or control byte holding address).
 *
 * Lifecycle: conf_aliases_init(), conf_aliases_parse(), any number of
 * expand/check calls (read-only, so a parsed table can be shared),
 * conf_aliases_free().  The table owns its strings.
 */
#ifndef POSTIE_CONF_ALIASES_H
#define POSTIE_CONF_ALIASES_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/address.h"
#include "util/err.h"

#define CONF_ALIASES_LINE_MAX 4096		/* one physical line */
#define CONF_ALIASES_TEXT_MAX (1u << 20)	/* the whole text */
#define CONF_ALIASES_DEPTH_MAX 32		/* aliases nested in aliases */
#define CONF_ALIASES_VISITS_MAX 100000		/* targets walked per address */
#define CONF_ALIASES_CHECK_MAX 10000000		/* targets walked by _check() */

struct conf_aliases_entry;

struct conf_aliases {
	/* private: entries in file order, byname sorts them by name; file
	 * names the text in messages. */
	struct conf_aliases_entry *entries;
	size_t n;
	struct conf_aliases_entry **byname;
	char *file;
};

/* An empty table (no aliases: every address stays as it is).  _free()
 * releases a table and leaves it empty; _free(NULL) is a no-op. */
void conf_aliases_init(struct conf_aliases *a);
void conf_aliases_free(struct conf_aliases *a);

/*
 * Parse text[0..len) (need not be NUL-terminated) into a, replacing what
 * a held.  file (NULL: "(aliases)") names the text in messages and is
 * copied.  ERR_OK, ERR_CONFIG or ERR_OS; on error a is left empty.
 */
enum err_kind conf_aliases_parse(struct conf_aliases *a, const char *text,
    size_t len, const char *file, struct err *e);

/* Whether addr is local: no '@' outside a quoted local part, or a domain
 * equal to localhost (ASCII case-insensitive; NULL matches no domain). */
bool conf_aliases_is_local(const char *addr, const char *localhost);

/*
 * Expand the recipient addr (see above) and append the result to out
 * (duplicates dropped).  ERR_OK, ERR_CONFIG, ERR_DATA or ERR_OS; on error
 * out may have gained some of the addresses.
 */
enum err_kind conf_aliases_expand(const struct conf_aliases *a,
    const char *addr, const char *localhost, struct mail_address_list *out,
    struct err *e);

/*
 * Expand every entry, in file order, as newaliases would: the first that
 * fails is the error (loop, unusable target, depth, size), or ERR_CONFIG
 * "FILE: too complex to check" past CONF_ALIASES_CHECK_MAX targets in
 * all.  *n (may be NULL) gets the number of entries.  ERR_OK, ERR_CONFIG
 * or ERR_OS.
 */
enum err_kind conf_aliases_check(const struct conf_aliases *a,
    const char *localhost, size_t *n, struct err *e);

#endif
