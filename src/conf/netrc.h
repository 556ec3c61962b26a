/*
 * conf_netrc: the ~/.netrc format (as ftp(1), curl and msmtp read it),
 * pure: text in, the password for a machine and login out.
 *
 *   machine HOST login USER password PASS
 *   default login USER password PASS
 *
 * Tokens are separated by blanks or newlines; a token may be quoted with
 * double quotes (backslash escapes inside).  `macdef NAME` is skipped up to
 * the next empty line.  The first entry whose machine equals host
 * (case-insensitive) and whose login equals user (when the entry names
 * one) wins; `default` matches any host, and only when no machine entry
 * did.
 *
 * The lookup stops at the first machine entry that matches.  A NULL user
 * matches only entries without a login; an entry without a password never
 * matches.  Unknown words are skipped (as curl does); `#` is not a comment.
 *
 * Errors: ERR_CONFIG ("FILE:LINE: why") for an unterminated quote, a
 * keyword without its value, a NUL byte, or a token over 4096 bytes;
 * ERR_OS on ENOMEM.
 */
#ifndef POSTIE_CONF_NETRC_H
#define POSTIE_CONF_NETRC_H

#include <stddef.h>

#include "util/err.h"
#include "util/secret.h"

/*
 * Look up host and user in text[0..len).  ERR_OK with *pw set when found,
 * ERR_OK with *pw unset when not.  file names the text in messages.
 */
enum err_kind conf_netrc_lookup(const char *text, size_t len, const char *file,
    const char *host, const char *user, struct secret *pw, struct err *e);

#endif
