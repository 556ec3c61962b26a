#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/secret.h"

void
secret_init(struct secret *s)
{
	s->data = NULL;
	s->len = 0;
}

int
secret_set(struct secret *s, const void *p, size_t n)
{
	char *d;

	if (n == SIZE_MAX || (d = malloc(n + 1)) == NULL)
		return -1;
	memcpy(d, p, n);
	d[n] = '\0';
	secret_free(s);
	s->data = d;
	s->len = n;
	return 0;
}

int
secret_is_set(const struct secret *s)
{
	return s->data != NULL;
}

void
secret_free(struct secret *s)
{
	if (s == NULL || s->data == NULL)
		return;
	explicit_bzero(s->data, s->len);
	free(s->data);
	s->data = NULL;
	s->len = 0;
}
