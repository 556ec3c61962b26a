#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"

static int tap_n;
static int tap_failed;

static void vreport(int cond, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vreport(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
vreport(int cond, const char *fmt, va_list ap)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cond, fmt, ap);
	va_end(ap);
	return cond;
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int
tap_is_int(long long got, long long want, const char *name)
{
	if (!tap_ok(got == want, "%s", name))
		tap_diag("  got %lld, want %lld", got, want);
	return got == want;
}

int
tap_is_str(const char *got, const char *want, const char *name)
{
	int same;

	if (got == NULL || want == NULL)
		same = got == want;
	else
		same = strcmp(got, want) == 0;
	if (!tap_ok(same, "%s", name))
		tap_diag("  got '%s', want '%s'", got ? got : "(null)",
		    want ? want : "(null)");
	return same;
}

static void
dump(const char *label, const unsigned char *p, size_t n)
{
	size_t i;

	printf("#   %s (%zu): ", label, n);
	for (i = 0; i < n && i < 400; i++) {
		if (p[i] == '\r')
			printf("\\r");
		else if (p[i] == '\n')
			printf("\\n");
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			printf("\\x%02x", p[i]);
		else
			putchar(p[i]);
	}
	printf("%s\n", n > 400 ? "..." : "");
}

int
tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *name)
{
	int same = glen == wlen && (glen == 0 || memcmp(got, want, glen) == 0);

	if (!tap_ok(same, "%s", name)) {
		dump("got", got, glen);
		dump("want", want, wlen);
	}
	return same;
}

void
tap_skip(int n, const char *reason)
{
	while (n-- > 0) {
		tap_n++;
		printf("ok %d # SKIP %s\n", tap_n, reason);
	}
	fflush(stdout);
}

int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

char *
tap_repeat(const char *head, const char *unit, size_t n, const char *tail,
    size_t *len)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * n + tl + 1), *o;

	if (s == NULL)
		abort();
	memcpy(s, head, hl);
	for (i = 0, o = s + hl; i < n; i++, o += ul)
		memcpy(o, unit, ul);
	memcpy(o, tail, tl + 1);
	*len = hl + ul * n + tl;
	return s;
}

double
tap_seconds_since(clock_t t0)
{
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}
