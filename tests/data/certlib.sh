# certlib.sh: the one certtool recipe of the test certificates, sourced
# by tests/data/mkcerts.sh, tests/data/dane-mkcerts.sh and
# tests/cli/lib_netns.sh.  POSIX sh; needs certtool (gnutls-bin).
# shellcheck shell=sh

# certlib_make NAME SIGNER TEMPLATE-LINES...: NAME.key (ECDSA P-256,
# quick to make) and NAME.pem, a certificate from the template lines,
# self-signed when SIGNER is "self", else signed by SIGNER.pem with
# SIGNER.key.  NAME and SIGNER are paths without the suffix.  certtool's
# output is appended to $CERTLIB_LOG (default /dev/null).  The status
# is certtool's: nonzero when it failed.
certlib_make() {
	_cl_name=$1 _cl_signer=$2
	shift 2
	printf '%s\n' "$@" >"$_cl_name.tmpl"
	{
		certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		    --outfile "$_cl_name.key" &&
		    if [ "$_cl_signer" = self ]; then
			certtool --generate-self-signed \
			    --load-privkey "$_cl_name.key" \
			    --template "$_cl_name.tmpl" --outfile "$_cl_name.pem"
		    else
			certtool --generate-certificate \
			    --load-privkey "$_cl_name.key" \
			    --load-ca-certificate "$_cl_signer.pem" \
			    --load-ca-privkey "$_cl_signer.key" \
			    --template "$_cl_name.tmpl" --outfile "$_cl_name.pem"
		    fi
	} >>"${CERTLIB_LOG:-/dev/null}" 2>&1
	_cl_rc=$?
	rm -f "$_cl_name.tmpl"
	return $_cl_rc
}
