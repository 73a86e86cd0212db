#!/usr/bin/env bash
# Compiles the demo shop (plain JDK 17, no dependencies) into three jars:
#   bash examples/shop/build.sh <out-dir>  ->  <out-dir>/{frontend,orders,payments}.jar
# Used by tools/images/build.sh (the demo-shop image) and by the shop's own test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh <out-dir>}"
command -v javac >/dev/null && command -v jar >/dev/null ||
  { echo "[shop] javac and jar are required (Debian: apt-get install default-jdk-headless)" >&2; exit 1; }
mkdir -p "$out"
classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
javac --release 17 -Xlint:all -Werror -d "$classes" "$here"/src/shop/*.java
for svc in frontend orders payments; do
  main="shop.$(tr '[:lower:]' '[:upper:]' <<<"${svc:0:1}")${svc:1}"
  rm -f "$out/$svc.jar"
  # same timestamps every build: the jars change only when the sources do
  jar --create --file "$out/$svc.jar" --main-class "$main" --date 1980-01-01T00:00:02Z -C "$classes" shop
done
echo "[shop] jars in $out" >&2
