# shellcheck shell=dash
# A stand-in for OpenWrt's /lib/functions/procd.sh (and the jshn.sh it sources): every call is
# appended to PROCD_RECORD as one line, the name and the arguments separated by tabs.
# uci_load_validate reads UCI_CONFIG through validate_data, which plays /sbin/validate_data.

record() {
	local arg
	{
		printf '%s' "$1"
		shift
		for arg in "$@"; do
			printf '\t%s' "$arg"
		done
		printf '\n'
	} >>"$PROCD_RECORD"
}

procd_open_service() { record procd_open_service "$@"; }
procd_close_service() {
	service_triggers
	record procd_close_service "$@"
}
procd_open_instance() { record procd_open_instance "$@"; }
procd_close_instance() { record procd_close_instance "$@"; }
procd_set_param() { record procd_set_param "$@"; }
procd_open_data() { record procd_open_data "$@"; }
procd_close_data() { record procd_close_data "$@"; }
procd_add_reload_trigger() { record procd_add_reload_trigger "$@"; }
procd_add_validation() { record procd_add_validation "$@"; }
procd_set_config_changed() { record procd_set_config_changed "$@"; }
procd_kill() { record procd_kill "$@"; }
json_add_object() { record json_add_object "$@"; }
json_close_object() { record json_close_object "$@"; }
json_add_array() { record json_add_array "$@"; }
json_close_array() { record json_close_array "$@"; }
json_add_string() { record json_add_string "$@"; }
json_add_int() { record json_add_int "$@"; }
json_add_boolean() { record json_add_boolean "$@"; }

# As procd.sh does: the options become local variables of this function, visible to the callback,
# which gets the section name and validate_data's exit code.
uci_load_validate() {
	local _package="$1" _type="$2" _name="$3" _function="$4" _option _values _result
	shift 4
	record uci_load_validate "$_package" "$_type" "$_name" "$_function" "$@"
	for _option in "$@"; do
		eval "local ${_option%%:*}"
	done
	_values=$(node "$STUBS/validate_data" "$UCI_CONFIG" "$_name" "$@")
	_result=$?
	eval "$_values"
	[ -n "$_function" ] || return "$_result"
	"$_function" "$_name" "$_result"
}
