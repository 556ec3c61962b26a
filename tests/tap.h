/*
 * tap: a minimal Test Anything Protocol producer for unit tests, run by
 * automake's TAP driver.  The plan is printed at the end (tap_done()).
 *
 *   tap_ok(x == 1, "x is one");
 *   tap_is_str(got, "want", "what it is");
 *   return tap_done();
 */
#ifndef POSTIE_TESTS_TAP_H
#define POSTIE_TESTS_TAP_H

#include <stddef.h>
#include <time.h>

int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_is_int(long long got, long long want, const char *name);
int tap_is_str(const char *got, const char *want, const char *name);
/* Byte-exact comparison; on mismatch prints both, escaped. */
int tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *name);
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_skip(int n, const char *reason);
/* Print the plan; returns the exit status (0 when every test passed). */
int tap_done(void);

/* For hostile-input tests: a malloc'd text, head then n times unit then
 * tail, NUL-terminated; its length in *len.  Aborts when out of memory. */
char *tap_repeat(const char *head, const char *unit, size_t n,
    const char *tail, size_t *len);
/* CPU seconds since t0 (a clock() reading), for linear-time checks. */
double tap_seconds_since(clock_t t0);

#endif
