#!/bin/sh
# dane-mkcerts.sh DIR: the DANE test certificates (tests/unit/t_tls.c),
# made with certtool in DIR after tests/data/mkcerts.sh has made its own
# there (ca, good and expired are used).  NAME.pem and NAME.key:
#   dane-ee       wrong.invalid, self-signed, valid 2015-2016 only: only
#                 DANE-EE can accept it
#   dane-oldca    a CA valid 2010-2015 only
#   dane-oldleaf  mail.test.example, signed by dane-oldca, valid now
#   dane-inter    an intermediate CA signed by ca
#   dane-leaf3    mail.test.example, signed by dane-inter
# and chains for the server (NAME.pem the chain, NAME.key the leaf's key):
#   dane-chain          good, ca
#   dane-chain-expired  expired, ca
#   dane-chain-oldca    dane-oldleaf, dane-oldca
#   dane-chain3         dane-leaf3, dane-inter, ca
# Exit status: 0, or 1 when certtool is missing or fails (DIR/mkcerts.log).
set -eu

dir=${1:?usage: dane-mkcerts.sh DIR}
certlib=$(cd "$(dirname "$0")" && pwd)/certlib.sh
cd "$dir"
command -v certtool >/dev/null 2>&1 || { echo "certtool not found" >&2; exit 1; }
[ -f ca.pem ] && [ -f good.pem ] || { echo "run mkcerts.sh first" >&2; exit 1; }

CERTLIB_LOG=$PWD/mkcerts.log
# shellcheck source=tests/data/certlib.sh
. "$certlib"

# chain NAME KEY-OF CERT...: NAME.pem the certificates in order.
chain() {
	name=$1 keyof=$2
	shift 2
	cp "$keyof.key" "$name.key"
	: >"$name.pem"
	for c in "$@"; do
		cat "$c.pem" >>"$name.pem"
	done
}

srv='tls_www_server
signing_key
encryption_key'
ca='ca
cert_signing_key'

certlib_make dane-ee self 'cn = "wrong.invalid"' 'dns_name = "wrong.invalid"' \
    "$srv" 'activation_date = "2015-01-01 00:00:00 UTC"' \
    'expiration_date = "2016-01-01 00:00:00 UTC"'
certlib_make dane-oldca self 'cn = "postie expired test CA"' "$ca" \
    'activation_date = "2010-01-01 00:00:00 UTC"' \
    'expiration_date = "2015-01-01 00:00:00 UTC"'
certlib_make dane-oldleaf dane-oldca 'cn = "mail.test.example"' \
    'dns_name = "mail.test.example"' "$srv" \
    'activation_date = "2020-01-01 00:00:00 UTC"' \
    'expiration_date = "2199-01-01 00:00:00 UTC"'
certlib_make dane-inter ca 'cn = "postie intermediate CA"' "$ca" \
    'expiration_days = 365'
certlib_make dane-leaf3 dane-inter 'cn = "mail.test.example"' \
    'dns_name = "mail.test.example"' "$srv" 'expiration_days = 365'
chain dane-chain good good ca
chain dane-chain-expired expired expired ca
chain dane-chain-oldca dane-oldleaf dane-oldleaf dane-oldca
chain dane-chain3 dane-leaf3 dane-leaf3 dane-inter ca
rm -f ./*.tmpl
