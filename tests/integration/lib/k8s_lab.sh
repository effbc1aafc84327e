# shellcheck shell=bash
# k8s_lab.sh — what the Kubernetes scenarios set up around the fake API server
# (tests/adapters/scenarios/kubernetes.py): one pod per lab host and the service account's
# volume. The scenario defines control PATH (a call to the fake's /_control).

# k8s_lab_pods: one pod per host at its address (keepvip-node-K, 10.42.0.1K), made like the
# fixtures' first pod, whose two pods are then deleted.
k8s_lab_pods() {
	local k
	for k in 1 2 3; do
		control "add?name=keepvip-node-$k&ip=10.42.0.1$k&like=keepvip-8qcr6"
	done
	control "delete?name=keepvip-8qcr6"
	control "delete?name=keepvip-lm5b2"
}

# k8s_lab_service_account TOKEN: the volume as the kubelet writes it, in $LAB_DIR/serviceaccount
# (SA), with the fake's CA.
k8s_lab_service_account() {
	SA="$LAB_DIR/serviceaccount"
	mkdir -p "$SA"
	printf '%s\n' "$1" >"$SA/token"
	printf 'keepvip-system' >"$SA/namespace"
	cp "$LAB_DIR/tls/ca.pem" "$SA/ca.crt"
}
