#!/bin/sh
# mkcerts.sh DIR: the test certificates for TLS tests (tests/unit/t_tls.c,
# tests/cli/t_tls.sh), made fresh with GnuTLS's certtool in DIR.
# ECDSA P-256 keys: quick to make.  Every NAME below has NAME.pem (the
# certificate) and NAME.key:
#   ca          the test CA (trust it with tls_trust_file DIR/ca.pem)
#   ca2         another CA that nobody trusts
#   good        mail.test.example, signed by ca
#   expired     mail.test.example, signed by ca, valid 2015-2016 only
#   notyet      mail.test.example, signed by ca, valid from 2090
#   wronghost   other.example, signed by ca
#   selfsigned  mail.test.example, self-signed
#   unknownca   mail.test.example, signed by ca2
#   wildcard    *.test.example, signed by ca
#   idn         xn--bcher-kva.test.example (bücher.test.example), by ca
#   ip          IP address 127.0.0.1 only, signed by ca
#   client      client.example, a client certificate signed by ca
#   revoked     mail.test.example, signed by ca, listed in crl.pem
# and crl.pem, ca's revocation list naming revoked.pem.
# Exit status: 0, or 1 when certtool is missing or fails (DIR/mkcerts.log).
set -eu

dir=${1:?usage: mkcerts.sh DIR}
certlib=$(cd "$(dirname "$0")" && pwd)/certlib.sh
mkdir -p "$dir"
cd "$dir"
command -v certtool >/dev/null 2>&1 || { echo "certtool not found" >&2; exit 1; }
: >mkcerts.log

CERTLIB_LOG=$PWD/mkcerts.log
# shellcheck source=tests/data/certlib.sh
. "$certlib"

ca_lines='ca
cert_signing_key
crl_signing_key
activation_date = "2010-01-01 00:00:00 UTC"
expiration_date = "2199-01-01 00:00:00 UTC"'
srv='tls_www_server
signing_key
encryption_key'
year='expiration_days = 365'

certlib_make ca self 'cn = "postie test CA"' "$ca_lines"
certlib_make ca2 self 'cn = "postie unknown CA"' "$ca_lines"
certlib_make good ca 'cn = "mail.test.example"' \
    'dns_name = "mail.test.example"' \
    "$srv" "$year"
certlib_make expired ca 'cn = "mail.test.example"' \
    'dns_name = "mail.test.example"' \
    "$srv" 'activation_date = "2015-01-01 00:00:00 UTC"' \
    'expiration_date = "2016-01-01 00:00:00 UTC"'
certlib_make notyet ca 'cn = "mail.test.example"' \
    'dns_name = "mail.test.example"' \
    "$srv" 'activation_date = "2090-01-01 00:00:00 UTC"' \
    'expiration_date = "2099-01-01 00:00:00 UTC"'
certlib_make wronghost ca 'cn = "other.example"' 'dns_name = "other.example"' \
    "$srv" "$year"
certlib_make selfsigned self 'cn = "mail.test.example"' \
    'dns_name = "mail.test.example"' "$srv" "$year"
certlib_make unknownca ca2 'cn = "mail.test.example"' \
    'dns_name = "mail.test.example"' "$srv" "$year"
certlib_make wildcard ca 'cn = "*.test.example"' 'dns_name = "*.test.example"' \
    "$srv" "$year"
certlib_make idn ca 'cn = "xn--bcher-kva.test.example"' \
    'dns_name = "xn--bcher-kva.test.example"' "$srv" "$year"
certlib_make ip ca 'cn = "127.0.0.1"' 'ip_address = "127.0.0.1"' "$srv" "$year"
certlib_make client ca 'cn = "client.example"' 'tls_www_client' 'signing_key' \
    "$year"
certlib_make revoked ca 'cn = "mail.test.example"' \
    'dns_name = "mail.test.example"' \
    "$srv" "$year"
printf '%s\n' 'crl_next_update = 3650' 'crl_number = 1' >crl.tmpl
certtool --generate-crl --load-ca-privkey ca.key --load-ca-certificate ca.pem \
    --load-certificate revoked.pem --template crl.tmpl --outfile crl.pem \
    >>mkcerts.log 2>&1
rm -f ./*.tmpl
