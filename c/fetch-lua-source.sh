#!/bin/sh
# fetch-lua-source.sh DESTDIR: put Debian's Lua 5.4 sources at DESTDIR/src/*.c
# (upstream layout: lapi.c ... lua.c luac.c).
#
# Used by c/static.mk for the static (musl) build. The source comes from the
# Debian archive this machine already uses: the "deb" entries of the system's
# apt sources are rewritten as "deb-src" into a private apt config, state and
# cache directory next to DESTDIR (DESTDIR.apt); the system's apt configuration
# and state are only read, never changed. apt checks the download against the
# archive's signed Sources index. The upstream tarball (lua5.4_*.orig.tar.gz) is
# unpacked with tar, plus Debian's fixes to Lua's C code (see below), so neither
# dpkg-source nor dpkg-dev is needed. Works unprivileged as well as root.
# Does nothing when DESTDIR/src already holds the sources.
set -eu

me=fetch-lua-source
die() { echo "$me: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: $0 DESTDIR"
dest=${1%/}

have_src() { [ -f "$1/src/lapi.c" ] && [ -f "$1/src/lua.c" ] && [ -f "$1/src/luac.c" ]; }
have_src "$dest" && exit 0
[ ! -e "$dest" ] || die "$dest exists but has no Lua sources in $dest/src; remove it and rerun"

pkg=lua5.4
command -v apt-get >/dev/null 2>&1 && command -v apt-config >/dev/null 2>&1 ||
  die "apt-get not found; put Lua 5.4 sources (upstream layout) at $dest/src by hand"

mkdir -p "$(dirname "$dest")" || die "cannot create the parent of $dest"
parent=$(cd "$(dirname "$dest")" && pwd) || die "cannot enter the parent of $dest"
dest=$parent/$(basename "$dest")
work=$dest.apt
case $work in *'"'*) die "path must not contain a double quote: $work" ;; esac
log=$work/log
rm -rf "$work"
mkdir -p "$work/sources.list.d" "$work/lists/partial" "$work/cache/archives/partial" "$work/dl" ||
  die "cannot create $work"

# The system's source lists, wherever apt is configured to read them.
SL='' SP=''
eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
SP=${SP%/}

# One-line format: "deb [opts] uri suite comp..." -> "deb-src [opts] uri suite comp...".
oneline() {
  sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$1"
}
# deb822 format: every stanza that has "deb" among its Types gets "Types: deb-src";
# stanzas without it (deb-src only, or other types) are kept as they are.
deb822() {
  awk '
    /^[Tt][Yy][Pp][Ee][Ss]:/ {
      n = split(substr($0, 7), t, /[ \t]+/); hit = 0
      for (i = 1; i <= n; i++) if (t[i] == "deb" || t[i] == "deb-src") hit = 1
      if (hit) { print "Types: deb-src"; next }
    }
    { print }' "$1"
}

n=0
if [ -n "$SL" ] && [ -f "$SL" ]; then
  oneline "$SL" >"$work/sources.list"; n=$((n + 1))
else
  : >"$work/sources.list"
fi
if [ -n "$SP" ] && [ -d "$SP" ]; then
  for f in "$SP"/*.list "$SP"/*.sources; do
    [ -f "$f" ] || continue
    case $f in
      *.list) oneline "$f" >"$work/sources.list.d/$(basename "$f")" ;;
      *.sources) deb822 "$f" >"$work/sources.list.d/$(basename "$f")" ;;
    esac
    n=$((n + 1))
  done
fi
[ "$n" -gt 0 ] || die "no apt sources found (looked at ${SL:-?} and ${SP:-?}/*.{list,sources})"

# Private config, read after the system's (-c), so proxies, keyrings and
# Acquire settings still apply but nothing under /var or /etc is written.
{
  echo "Dir::Etc::SourceList \"$work/sources.list\";"
  echo "Dir::Etc::SourceParts \"$work/sources.list.d\";"
  echo "Dir::State::Lists \"$work/lists\";"
  echo "Dir::Cache \"$work/cache\";"
  echo "Dir::Cache::pkgcache \"\";"
  echo "Dir::Cache::srcpkgcache \"\";"
  echo "Acquire::Languages \"none\";"
  echo "#clear APT::Update::Pre-Invoke;"
  echo "#clear APT::Update::Post-Invoke;"
  echo "#clear APT::Update::Post-Invoke-Success;"
  # As root apt would drop to _apt, which cannot write into this directory.
  [ "$(id -u)" -ne 0 ] || echo "APT::Sandbox::User \"root\";"
} >"$work/apt.conf"

apt() { apt-get -q -c "$work/apt.conf" "$@"; }

# One-line failure: apt's first error or warning, and what to do when not root.
apt_die() {
  why=$(grep -E '^(E|W): ' "$log" | head -n 1 || true)
  if [ "$(id -u)" -ne 0 ]; then
    why="$why; if that is a permission problem, run once as root: sh $0 $dest"
  fi
  die "$1 failed: ${why#; } (full log: $log)"
}

echo "$me: fetching $pkg source index (private apt state in $work)" >&2
apt update >"$log" 2>&1 || apt_die "apt-get update"

# Prefer the source of the installed Lua 5.4 (same release as the system headers);
# fall back to apt's candidate when that version is no longer in the archive.
ver=$(dpkg-query -W -f '${Version}' liblua5.4-dev 2>/dev/null || true)
cd "$work/dl"
if ! { [ -n "$ver" ] && apt source --download-only "$pkg=$ver" >>"$log" 2>&1; } &&
   ! apt source --download-only "$pkg" >>"$log" 2>&1; then
  apt_die "apt-get source --download-only $pkg"
fi

set -- "$work"/dl/"${pkg}"_*.orig.tar.*
[ $# -eq 1 ] && [ -f "$1" ] || die "expected one ${pkg}_*.orig.tar.* in $work/dl, found: $*"
orig=$1

rm -rf "$work/x"; mkdir "$work/x"
tar -xf "$orig" -C "$work/x" || die "cannot extract $orig"
top=
for d in "$work"/x/*; do
  if have_src "$d"; then top=$d; break; fi
done
[ -n "$top" ] || die "$orig has no src/lapi.c, src/lua.c, src/luac.c under its top directory"

# Debian's own fixes to Lua's C code (upstream bug/CVE fixes) are applied on top:
# from debian/patches/series, those patches that change nothing but src/*.c.
# Packaging changes (build system, luaconf.h paths, C++ wrapper) are left out.
# Needs only tar, xz and patch; without them the pristine upstream code is used.
applied=
set -- "$work"/dl/"${pkg}"_*.debian.tar.*
if [ $# -eq 1 ] && [ -f "$1" ] && command -v patch >/dev/null 2>&1 &&
   mkdir "$work/x/deb" && tar -xf "$1" -C "$work/x/deb" 2>/dev/null &&
   [ -f "$work/x/deb/debian/patches/series" ]; then
  pdir=$work/x/deb/debian/patches
  for p in $(sed -e 's/#.*//' -e 's/[[:space:]].*//' "$pdir/series"); do
    [ -f "$pdir/$p" ] || die "debian/patches/series names a missing patch: $p"
    other=$(sed -n 's/^+++ [^/]*\/\([^[:space:]]*\).*/\1/p' "$pdir/$p" | grep -v '^src/[^/]*\.c$' || true)
    [ -z "$other" ] || continue
    patch -s -p1 -N -F0 --no-backup-if-mismatch -d "$top" -i "$pdir/$p" >>"$log" 2>&1 ||
      die "debian patch $p does not apply to $(basename "$orig") (log: $log)"
    applied="$applied $p"
  done
else
  echo "$me: warning: Debian's fixes not applied (need ${pkg}_*.debian.tar.*, xz and patch); using pristine upstream" >&2
fi
{
  echo "upstream: $(basename "$orig")"
  echo "debian patches applied:${applied:- none}"
} >"$top/HAKO-SOURCE"

mv "$top" "$dest" || die "cannot move the sources to $dest"
# Keep the downloaded source package and the log; drop the ~20 MB of indexes.
rm -rf "$work/x" "$work/lists" "$work/cache"
echo "$me: $(basename "$orig")${applied:+ +$applied} -> $dest" >&2
