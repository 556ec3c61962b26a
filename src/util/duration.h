/*
 * duration: a span of time as people write it for sendmail's -q and for
 * postie.conf: "90" (seconds), "30m", "1h30m", "5d", "2w"; units s m h d w,
 * each number followed by at most one unit, no blanks.
 */
#ifndef POSTIE_UTIL_DURATION_H
#define POSTIE_UTIL_DURATION_H

/* Seconds, or -1 when s is empty, malformed or over max seconds. */
long long duration_parse(const char *s, long long max);

#endif
