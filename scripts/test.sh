#!/usr/bin/env bash
# test.sh — everything CI checks, in order:
#   1. scripts/setup.sh (packages);
#   2. build/       : default build, every ctest label (unit, integration, ...);
#   3. build-asan/  : -DKEEPVIP_SANITIZE=ON (ASan + UBSan), every label again;
#   4. build-fuzz/  : CC=clang -DKEEPVIP_FUZZ=ON, ctest -L fuzz (bounded runs).
# Every stage runs even when an earlier one failed; the exit status is non-zero when any did.
# Integration tests need root (network namespaces): run it as root, or through sudo.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
JOBS=$(nproc 2>/dev/null || echo 2)
failed=()

stage() { printf '\n===== %s =====\n' "$*"; }

# build_and_test DIR CTEST_ARGS -- CMAKE_ARGS...: configure, build, run ctest; records failure.
build_and_test() {
	local dir=$1 ctest_args=$2
	shift 3
	stage "configure $dir ($*)"
	if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/configure.log" 2>&1; then
		cat "$dir/configure.log"
		failed+=("$dir: configure")
		return
	fi
	stage "build $dir"
	if ! cmake --build "$dir" -j "$JOBS"; then
		failed+=("$dir: build")
		return
	fi
	stage "test $dir ${ctest_args:-(all labels)}"
	# shellcheck disable=SC2086 # ctest_args is a word list on purpose
	if ! ctest --test-dir "$dir" --output-on-failure -j "$JOBS" $ctest_args; then
		failed+=("$dir: ctest $ctest_args")
	fi
}

stage "setup"
if ! bash scripts/setup.sh; then
	failed+=("setup")
fi

mkdir -p build build-asan build-fuzz
build_and_test build "" --
# halt_on_error: a sanitizer report fails the test that caused it.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	build_and_test build-asan "" -- -DKEEPVIP_SANITIZE=ON
CC=clang build_and_test build-fuzz "-L fuzz" -- -DKEEPVIP_FUZZ=ON -DCMAKE_C_COMPILER=clang

stage "summary"
if [ "${#failed[@]}" -ne 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
echo "all stages passed"
