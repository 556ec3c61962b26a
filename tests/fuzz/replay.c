/*
 * replay: run a fuzz target's LLVMFuzzerTestOneInput over every file of its
 * seed corpus, tests/fuzz/corpus/FUZZ_NAME/, printing TAP.  `make check`
 * runs it under ASan/UBSan in CI, so a crash in a corpus file fails the
 * suite even where libFuzzer is not built.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return -1;
	for (;;) {
		if (cap - len < 4096) {
			uint8_t *p = realloc(data, cap + 65536);
			if (p == NULL)
				break;
			data = p;
			cap += 65536;
		}
		n = fread(data + len, 1, cap - len, fp);
		if (n == 0)
			break;
		len += n;
	}
	fclose(fp);
	/* Hand over an exact-size copy so ASan sees reads past the end. */
	{
		uint8_t *exact = malloc(len ? len : 1);
		if (exact != NULL) {
			if (len)
				memcpy(exact, data, len);
			LLVMFuzzerTestOneInput(exact, len);
			free(exact);
		}
	}
	free(data);
	return 0;
}

int
main(void)
{
	const char *srcdir = getenv("top_srcdir");
	char dir[4096], path[8192];
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
	    srcdir ? srcdir : ".", FUZZ_NAME);
	if ((d = opendir(dir)) == NULL) {
		tap_ok(0, "open corpus %s", dir);
		return tap_done();
	}
	while ((de = readdir(d)) != NULL) {
		char **p;

		if (de->d_name[0] == '.')
			continue;
		p = realloc(names, (n + 1) * sizeof(*names));
		if (p == NULL)
			break;
		names = p;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	tap_ok(n > 0, "corpus %s has seeds", FUZZ_NAME);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		tap_ok(run_file(path) == 0, "%s/%s", FUZZ_NAME, names[i]);
		free(names[i]);
	}
	free(names);
	return tap_done();
}
