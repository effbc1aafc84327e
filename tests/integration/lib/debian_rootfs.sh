# shellcheck shell=bash
# debian_rootfs.sh — the minimal Debian root file system the Docker scenarios import as their
# base image (no registry is reachable): debootstrap once from this machine's own mirror, kept
# in the test cache. Needs netns.sh (lab_log, lab_die) sourced first.

KEEPVIP_TEST_CACHE=${KEEPVIP_TEST_CACHE:-/var/cache/keepvip-test}

# debian_mirror: the first plain-http Debian mirror (not the security one) of this machine's
# apt sources, or $KEEPVIP_TEST_MIRROR.
debian_mirror() {
	local uri
	if [ -n "${KEEPVIP_TEST_MIRROR:-}" ]; then
		echo "$KEEPVIP_TEST_MIRROR"
		return
	fi
	uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null
	awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }' \
		/etc/apt/sources.list 2>/dev/null)
	echo "$uri" | grep -E '^http://' | grep -v -- '-security' | head -n 1
}

# debian_rootfs: $KEEPVIP_TEST_CACHE/rootfs, a minimal bookworm, made unless already complete.
debian_rootfs() {
	local cache=$KEEPVIP_TEST_CACHE mirror log="$LAB_DIR/debootstrap.log"
	if [ -f "$cache/rootfs/.keepvip-complete" ]; then
		lab_log "base rootfs: reusing $cache/rootfs"
		return 0
	fi
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || lab_die "no plain-http Debian mirror in apt's sources (set KEEPVIP_TEST_MIRROR)"
	lab_log "base rootfs: debootstrap bookworm from $mirror (once, kept in $cache)"
	mkdir -p "$cache" || lab_die "cannot create $cache"
	rm -rf "$cache/rootfs.tmp"
	if ! debootstrap --variant=minbase bookworm "$cache/rootfs.tmp" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log"
		lab_die "debootstrap failed (log above)"
	fi
	rm -rf "$cache/rootfs"
	mv "$cache/rootfs.tmp" "$cache/rootfs"
	touch "$cache/rootfs/.keepvip-complete"
}
