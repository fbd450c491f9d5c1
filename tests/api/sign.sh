# tests/api/sign.sh - Ed25519 keys and Bindle signatures made with the
# openssl command, so that API tests can sign invoices with keys of their
# own without relying on Wharf's code to produce what it then checks.
# Source it after lib.sh.
#
#   new_key NAME              makes $TMP/NAME.pem; prints nothing
#   pub_b64 NAME              the base64 raw public key of that key
#   sign_invoice FILE NAME LABEL ROLE
#                             appends a [[signature]] by that key to the TOML
#                             invoice FILE, over SPEC.md section 2's cleartext
#                             (FILE must use `name = `, `version = ` and
#                             `sha256 = ` lines as this suite writes them)

new_key() { openssl genpkey -algorithm ed25519 -out "$TMP/$1.pem" 2>/dev/null; }

# The raw key is the last 32 bytes of the DER SubjectPublicKeyInfo.
pub_b64() { openssl pkey -in "$TMP/$1.pem" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0; }

sign_invoice() {
  local file=$1 key=$2 label=$3 role=$4 name version
  name=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$file" | head -n 1)
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$file" | head -n 1)
  { printf '%s\n%s\n%s\n%s\n~' "$label" "$name" "$version" "$role"
    sed -n 's/^sha256 = "\(.*\)"$/\1/p' "$file" | while read -r sha; do printf '\n%s' "$sha"; done
  } >"$TMP/cleartext"
  local sig
  sig=$(openssl pkeyutl -sign -inkey "$TMP/$key.pem" -rawin -in "$TMP/cleartext" | base64 -w0)
  printf '\n[[signature]]\nby = "%s"\nsignature = "%s"\nkey = "%s"\nrole = "%s"\nat = %s\n' \
    "$label" "$sig" "$(pub_b64 "$key")" "$role" "$(date +%s)" >>"$file"
}
