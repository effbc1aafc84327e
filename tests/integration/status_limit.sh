#!/usr/bin/env bash
# status_limit.sh — the status server outlives its connection limit. A client on the master's
# host opens more idle connections than the server takes (32), holds them, closes them all,
# then asks /healthz; ten rounds. libmicrohttpd leaves its listening socket out of its epoll
# set while at the limit and puts it back only on a later run: before the fix, /healthz
# stopped answering for good in about half the rounds (and a liveness probe would then
# restart a healthy master). The master keeps the VIP and its adverts throughout.
set -u -o pipefail
# shellcheck source=lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
lab_init status_limit "${1:-}"
lab_up 2

VIP=10.99.0.100
PORT=9650
common=("KEEPVIP_VIPS=$VIP/24" KEEPVIP_VRID=51 KEEPVIP_ADVERT_MS=100)
lab_start_keepvip 1 "${common[@]}" KEEPVIP_PRIORITY=150 "KEEPVIP_STATUS_ADDR=127.0.0.1:$PORT"
lab_start_keepvip 2 "${common[@]}" KEEPVIP_PRIORITY=100
lab_require_master_1 $VIP 5000 1000

# Prints one line per round: "round N CODE" (CODE 200, or the error that came instead).
rounds=$(ip netns exec "$(lab_host_ns 1)" python3 - "$PORT" <<'PY'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
def healthz():
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status
    except Exception as e:
        return type(e).__name__
print("round 0", healthz())
for r in range(1, 11):
    held = [socket.create_connection(("127.0.0.1", port), timeout=2) for _ in range(40)]
    time.sleep(0.3)
    for s in held:
        s.close()
    time.sleep(0.3)
    print(f"round {r}", healthz())
PY
)
lab_log "$rounds"
answered=$(grep -c ' 200$' <<<"$rounds")
lab_expect_eq "/healthz answers after each of 10 rounds of 40 held connections" 11 "$answered"
lab_assert_single_holder "host 1 still holds the VIP alone" $VIP 1
lab_stop_all_clean $VIP 1 2
lab_finish
