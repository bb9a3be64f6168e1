#!/usr/bin/env bash
# cargo-fuzz (libFuzzer) runs over the Rust core: header_parse, parse_frames, utf8_stream, unmask, decode_text, text_split, text_message.
#   scripts/fuzz.sh            short run: 20 s per target (override with FUZZ_SECONDS)
#   scripts/fuzz.sh --long     long run: 600 s per target (override with FUZZ_SECONDS)
#   scripts/fuzz.sh --replay   no libFuzzer: replay the committed corpus + seeded inputs with `cargo test` (stable)
#   scripts/fuzz.sh --ci       what CI runs: installs cargo-fuzz 0.13.2 into fuzz/.tools if it is missing, then a
#                              short run of 5 s per target (override with FUZZ_SECONDS)
# Needs cargo-fuzz (`--ci` installs it) and a C++ compiler. Only the stable toolchain is installed, so nightly-only
# flags are unlocked with RUSTC_BOOTSTRAP=1 (what cargo-fuzz needs: -Zsanitizer=address and friends).
# New interesting inputs go to fuzz/corpus-run/<target> (ignored by git), seeded from fuzz/corpus/<target>;
# crashes to fuzz/artifacts/<target>/. Exit status is non-zero on the first crash.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
mode=short
case "${1:-}" in
  --long) mode=long ;;
  --replay) exec cargo test --release --no-default-features ;;
  --ci) mode=ci ;;
  '' | --short) ;;
  *) echo "usage: $0 [--short|--long|--replay] [target...]" >&2; exit 2 ;;
esac
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(header_parse parse_frames utf8_stream unmask decode_text text_split text_message)
case "$mode" in
  long) secs=${FUZZ_SECONDS:-600} ;;
  ci) secs=${FUZZ_SECONDS:-5} ;;
  *) secs=${FUZZ_SECONDS:-20} ;;
esac
if [ "$mode" = ci ] && ! cargo fuzz --version 2>/dev/null | grep -q '^cargo-fuzz 0\.13\.'; then
  echo "== installing cargo-fuzz 0.13.2 into fuzz/.tools"
  cargo install cargo-fuzz --version 0.13.2 --locked --root .tools --quiet
  export PATH="$PWD/.tools/bin:$PATH"
fi
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  mkdir -p "corpus-run/$t"
  echo "== $t: ${secs}s"
  cargo fuzz run -O "$t" "corpus-run/$t" "corpus/$t" -- \
    -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 2>&1 | grep -E '^(stat::|#[0-9]+ *DONE|==|SUMMARY|Done|INFO: Seed)' || true
  if compgen -G "artifacts/$t/crash-*" > /dev/null; then
    echo "crash in $t:" artifacts/"$t"/crash-* >&2
    exit 1
  fi
done
