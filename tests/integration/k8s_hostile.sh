#!/usr/bin/env bash
# k8s_hostile.sh — the Kubernetes adapter of a running master gets hostile answers from its
# API server (tests/adapters/scenarios/kubernetes.py over TLS, in the lab as in k8s_live.sh),
# one after another, each ending at its bound. The pod list (read again after a 410): 1 GiB
# streamed (K8S_MAX_LIST_BYTES, 16 MiB), a byte a second (the 10 s request timeout), bytes
# that are not UTF-8, arrays nested 100,000 deep, wrong types (the parser). The pod watch:
# a line of 1 GiB that never ends (K8S_MAX_EVENT_BYTES, 1 MiB), lines that are not JSON,
# a watch that never ends, with bookmarks or silent (timeoutSeconds 2 s, KEEPVIP_K8S_WATCH_S:
# dropped at 2 + 5 s). Between two attacks the server answers well again. Throughout
# (lib/hostile.sh): the master's adverts keep their period, the peers stay as they were, the
# VIP stays on host 1 alone, and the daemon's memory stays bounded.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
# shellcheck source=lib/k8s_lab.sh
. "$(dirname "$0")/lib/k8s_lab.sh"
lab_init k8s_hostile "${1:-}"
# shellcheck source=lib/hostile.sh
. "$(dirname "$0")/lib/hostile.sh"
command -v openssl >/dev/null || lab_cannot_run "openssl (the fake API's CA) is not installed"
LAB_IPV4_NET=10.42.0
lab_up 3

HOSTILE_SERVER=10.42.0.2
VIP=10.42.0.100
TOKEN="eyJhbGciOiJSUzI1NiJ9.k8s-hostile-secret-token.c2lnbmF0dXJl"

# A list page may take K8S_MAX_LIST_BYTES (16 MiB) while it is read: that, and 8 MiB more.
HOSTILE_MEMORY_KB=$((24 << 10))
hostile_start_fake kubernetes --tls-dir "$LAB_DIR/tls" --opt "token=$TOKEN"
HOSTILE_SCHEME=https
HOSTILE_CURL_ARGS=(--cacert "$LAB_DIR/tls/ca.pem")
# The list is read again after a 410 (history compacted); a watch opens after a clean end.
hostile_restore() {
	control clear
	control close_watches
}

k8s_lab_pods
k8s_lab_service_account "$TOKEN"

hostile_host_env() { echo "POD_NAME=keepvip-node-$1"; }
hostile_start_hosts KEEPVIP_ORCHESTRATOR=kubernetes "KUBERNETES_SERVICE_HOST=$HOSTILE_SERVER" \
	"KUBERNETES_SERVICE_PORT=$PORT" "KEEPVIP_K8S_TOKEN_FILE=$SA/token" \
	"KEEPVIP_K8S_CA_FILE=$SA/ca.crt" KEEPVIP_K8S_WATCH_S=2 "KEEPVIP_VIPS=$VIP/24"
hostile_begin $VIP

hostile_provoke() { control compact; }
hostile_attack "list: 1 GiB streamed" "body?kind=endless" \
	'response body larger than 16777216 bytes' 5000
hostile_attack "list: a byte a second" "body?kind=slow" 'timed out after 10000 ms' 14000
hostile_attack "list: not UTF-8" "body?kind=bad_utf8" 'invalid JSON|UTF-8' 3000
hostile_attack "list: nested 100,000 deep" "body?kind=deep" 'maximum parsing depth reached' 3000
hostile_attack "list: wrong types" "body?kind=wrong_types" 'items\[0\]' 3000
hostile_provoke() { control close_watches; }
hostile_attack "watch: a line of 1 GiB" "body?kind=watch_endless" \
	'an event longer than 1048576 bytes' 5000
hostile_attack "watch: lines that are not JSON" "body?kind=watch_garbage" 'pod watch' 3000
hostile_attack "watch: bookmarks that never end" "body?kind=watch_bookmarks" \
	'timed out after 7000 ms' 10000
hostile_attack "watch: silent, never ending" "body?kind=watch_silent" \
	'nothing received for 7 s' 10000
hostile_end $VIP
