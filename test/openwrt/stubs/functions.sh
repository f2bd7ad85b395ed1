# shellcheck shell=dash
# A stand-in for OpenWrt's /lib/functions.sh: only what the init script uses. STUB_ROOT holds etc/passwd.

user_exists() {
	grep -qs "^$1:" "$STUB_ROOT/etc/passwd"
}
