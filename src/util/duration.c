#include "config.h"

#include <stddef.h>

#include "util/duration.h"

static long long
unit_of(char c)
{
	switch (c) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	case 'w': return 7 * 86400;
	default: return 0;
	}
}

long long
duration_parse(const char *s, long long max)
{
	long long total = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		long long v = 0, unit = 1;

		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s++ - '0');
			if (v > max)
				return -1;
		}
		if (*s != '\0' && (unit = unit_of(*s++)) == 0)
			return -1;
		if (v > (max - total) / unit)
			return -1;
		total += v * unit;
	}
	return total;
}
