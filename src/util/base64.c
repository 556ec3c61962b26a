#include "config.h"

#include <string.h>

#include "util/base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

int
base64_encode(struct buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	char q[4];
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		q[0] = alphabet[s[i] >> 2];
		q[1] = alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = alphabet[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		q[3] = alphabet[s[i + 2] & 63];
		if (buf_append(out, q, 4) == -1)
			return -1;
	}
	if (i < n) {
		q[0] = alphabet[s[i] >> 2];
		if (i + 1 < n) {
			q[1] = alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			q[2] = alphabet[(s[i + 1] & 15) << 2];
		} else {
			q[1] = alphabet[(s[i] & 3) << 4];
			q[2] = '=';
		}
		q[3] = '=';
		if (buf_append(out, q, 4) == -1)
			return -1;
	}
	return 0;
}

static int
value(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
		return -1;
	return (int)(p - alphabet);
}

int
base64_decode(struct buf *out, const char *s, size_t n)
{
	size_t old = out->len, i;
	int v[4], k;
	unsigned char o[3];

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		int pad = 0, nout;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];

			if (c == '=' && i + 4 == n && k >= 2) {
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad > 0 || (v[k] = value(c)) < 0)
				goto bad;
		}
		o[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		o[1] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		o[2] = (unsigned char)((v[2] & 3) << 6 | v[3]);
		if ((pad == 1 && (v[2] & 3) != 0) ||
		    (pad == 2 && (v[1] & 15) != 0))
			goto bad;
		nout = 3 - pad;
		if (buf_append(out, o, (size_t)nout) == -1)
			goto bad;
	}
	return 0;
bad:
	out->len = old;
	if (out->data != NULL)
		out->data[old] = '\0';
	return -1;
}
