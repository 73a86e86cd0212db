#!/usr/bin/env bash
# The local image factory: OCI images for the real node, built without a
# registry or a container daemon (rootfs -> umoci OCI layout -> skopeo
# docker-archive tar, which `ctr -n k8s.io images import` reads).
#
#   bash tools/images/build.sh [image-id ...]   build what is missing (no ids: all);
#                                               prints "<image name>\t<archive tar>" per image
#   bash tools/images/build.sh --list [id ...]  the image names, without building
#
# Recipes live in recipes/<id>.sh. Each image is cached under
# ${SWB_CACHE:-~/.cache/skywalking-backstage}/images/<id>/<hash>/, the hash
# covering lib.sh, the recipe, its inputs and its base's hash: an unchanged
# image is never rebuilt, a changed one replaces the old cache entry.
set -euo pipefail
{ # bash reads all of this block before running it: editing the file mid-build is safe
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${SWB_CACHE:-$HOME/.cache/skywalking-backstage}"
IMAGES="$CACHE/images"
# every recipe; bases are built before the images on them whatever the order
ALL_IDS=()
for r in "$HERE"/recipes/*.sh; do r="${r##*/}"; ALL_IDS+=("${r%.sh}"); done
TAG=image # the tag inside each cached OCI layout
export REPO

list=0
ids=()
for a in "$@"; do
  case "$a" in
    --list) list=1 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "[images] unknown option $a" >&2; exit 2 ;;
    *) [ -f "$HERE/recipes/$a.sh" ] || { echo "[images] unknown image '$a' (known: ${ALL_IDS[*]})" >&2; exit 2; }
       ids+=("$a") ;;
  esac
done
[ ${#ids[@]} -gt 0 ] || ids=("${ALL_IDS[@]}")

# recipe <id> <command...>: run a command with the recipe's variables and functions
recipe() {
  local id="$1"
  shift
  (
    BASE="" NEEDS=()
    # shellcheck source=/dev/null
    source "$HERE/lib.sh"
    # shellcheck source=/dev/null
    source "$HERE/recipes/$id.sh"
    "$@"
  )
}
field() { eval "echo \"\${$1:-}\""; } # field NAME: a recipe variable, inside recipe()
field_list() { eval "printf '%s\n' \"\${$1[@]}\""; }

declare -A HASH=()
hash_of() {
  local id="$1" base
  if [ -z "${HASH[$id]:-}" ]; then
    base="$(recipe "$id" field BASE)"
    local base_hash=""
    [ -z "$base" ] || { hash_of "$base" >/dev/null; base_hash="${HASH[$base]}"; }
    HASH[$id]=$( { cat "$HERE/lib.sh" "$HERE/recipes/$id.sh"; recipe "$id" image_inputs; echo "base=$base_hash"; } |
                 sha256sum | cut -c1-16)
  fi
  echo "${HASH[$id]}"
}
entry() { hash_of "$1" >/dev/null; echo "$IMAGES/$1/${HASH[$1]}"; } # hash_of first: HASH fills in this shell
built() { [ -f "$(entry "$1")/complete" ]; }

if [ "$list" = 1 ]; then
  for id in "${ids[@]}"; do recipe "$id" field IMAGE; done
  exit 0
fi

# the requested images and their bases, bases first
order=()
add() {
  local base
  base="$(recipe "$1" field BASE)"
  [ -z "$base" ] || add "$base"
  [[ " ${order[*]} " == *" $1 "* ]] || order+=("$1")
}
for id in "${ids[@]}"; do add "$id"; done

todo=()
for id in "${order[@]}"; do built "$id" || todo+=("$id"); done

if [ ${#todo[@]} -gt 0 ]; then
  # Debian packages the missing images need (installed when root, as on CI)
  missing=()
  need() { command -v "$1" >/dev/null 2>&1 || [ -e "$1" ] || [[ " ${missing[*]} " == *" $2 "* ]] || missing+=("$2"); }
  need umoci umoci
  need skopeo skopeo
  need flock util-linux
  for id in "${todo[@]}"; do
    while IFS=: read -r cmd pkg; do
      [ -n "$cmd" ] || continue
      if [ -z "$pkg" ]; then
        command -v "$cmd" >/dev/null || { echo "[images] $id needs $cmd on PATH" >&2; exit 1; }
      else
        need "$cmd" "$pkg"
      fi
    done < <(recipe "$id" field_list NEEDS)
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "[images] need the Debian packages ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" >&2
      exit 1
    fi
    echo "[images] installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    # with Recommends: mmdebstrap uses gpg (signed-by check) and mount, gcc brings libc6-dev
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi

  # two builds at once: the second waits, then finds the first one's images
  mkdir -p "$IMAGES"
  exec 9>"$IMAGES/.lock"
  flock -n 9 || { echo "[images] another image build is running; waiting for it" >&2; flock 9; }

  for id in "${todo[@]}"; do
    built "$id" && continue
    base="$(recipe "$id" field BASE)"
    if [ -n "$base" ] && ! built "$base"; then
      echo "[images] $id: not built, its base $base failed" >&2
      continue
    fi
    dir="$(entry "$id")"
    name="$(recipe "$id" field IMAGE)"
    base_layout=""
    [ -z "$base" ] || base_layout="$(entry "$base")/oci"
    echo "[images] building $name ($id, $(basename "$dir"))" >&2
    start=$(date +%s)
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp/work"
    # one image failing does not stop the others (errexit stays on inside)
    set +e
    (
      set -e
      recipe "$id" image_build "$dir.tmp/oci" "$TAG" "$dir.tmp/work" "$base_layout" "$TAG"
      recipe "$id" oci_export "$dir.tmp/oci" "$TAG" "$dir.tmp/image.tar" "$name"
    ) >&2
    rc=$?
    set -e
    if [ $rc != 0 ]; then
      echo "[images] $name: build failed (exit $rc); partial files in $dir.tmp" >&2
      continue
    fi
    rm -rf "$dir.tmp/work"
    echo "$name" > "$dir.tmp/name"
    touch "$dir.tmp/complete"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    # older builds of this image are superseded
    for old in "$IMAGES/$id"/*; do [ "$old" = "$dir" ] || rm -rf "$old"; done
    echo "[images] $name built in $(( $(date +%s) - start ))s: $(du -sh "$dir/image.tar" | cut -f1) archive" >&2
  done
fi

failed=()
for id in "${ids[@]}"; do
  if built "$id"; then
    printf '%s\t%s\n' "$(recipe "$id" field IMAGE)" "$(entry "$id")/image.tar"
  else
    failed+=("$id")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "[images] not built: ${failed[*]}" >&2
  exit 1
fi
exit 0
}
