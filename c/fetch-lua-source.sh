#!/bin/sh
# fetch-lua-source.sh DESTDIR: put Debian's Lua 5.4 upstream sources at DESTDIR/src/*.c.
#
# Used by c/static.mk for the static (musl) build. The source comes from the
# Debian archive this machine already uses: the deb entries of the system's own
# apt sources are rewritten as deb-src into a private apt config, state and
# cache directory next to DESTDIR (DESTDIR.apt), so the system's apt setup is
# neither read for writing nor changed. apt checks the download against the
# archive's signed Sources index. Only the upstream tarball
# (lua5.4_*.orig.tar.gz) is extracted, so dpkg-dev is not needed.
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
SL= SP=
eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"

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

hint() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$me: (not root) if apt cannot work unprivileged here, run once as root: sh $0 $dest" >&2
  fi
}

echo "$me: fetching $pkg source index (private apt state in $work)" >&2
if ! apt update >"$log" 2>&1; then
  tail -n 5 "$log" >&2; hint
  die "apt-get update failed (full log: $log)"
fi

# Prefer the source of the installed Lua 5.4 (same release as the system headers);
# fall back to apt's candidate when that version is no longer in the archive.
ver=$(dpkg-query -W -f '${Version}' liblua5.4-dev 2>/dev/null || true)
cd "$work/dl"
if ! { [ -n "$ver" ] && apt source --download-only "$pkg=$ver" >>"$log" 2>&1; } &&
   ! apt source --download-only "$pkg" >>"$log" 2>&1; then
  tail -n 5 "$log" >&2; hint
  die "apt-get source --download-only $pkg failed (full log: $log)"
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
mv "$top" "$dest" || die "cannot move the sources to $dest"
rm -rf "$work/x"
echo "$me: $(basename "$orig") -> $dest" >&2
