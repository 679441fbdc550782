#!/usr/bin/env bash
# Installs the Debian packages boardkit's tests need, idempotently. Shared with `boardkit doctor`:
# the package list lives ONLY in .ci/debian-packages.txt (column 1), and the apt source written
# here is the same one `boardkit doctor --fix` writes (src/workflows/doctor/fixes.ts).
#
# - adds the arm64 foreign architecture (u-boot-rpi:arm64 is downloaded, never installed);
# - adds the non-free-firmware component (raspi-firmware is downloaded, NEVER installed: its
#   postinst copies blobs into the host's /boot/firmware), signed by the Debian archive keyring,
#   from the archive URI of the machine's own Debian source (the release's `main` entry); when
#   there is none it stops and asks you to add the component to your Debian source yourself;
# - runs apt-get update at most once, and only when something is missing or a source changed;
# - keeps peer daemons (tftpd-hpa) from starting during the install with a policy-rc.d.
#
# `install-deps.sh --print-debian-uri [APT_DIR [CODENAME]]` only prints that derived URI (from
# APT_DIR, default /etc/apt) and changes nothing; tests compare it with the TypeScript parser.
set -euo pipefail

# The same rules as debianArchiveUri() in src/workflows/doctor/apt-sources.ts (sources.list(5)): the first
# enabled `deb` entry whose suites include the codename and whose components include `main`;
# comments, `Enabled: no` stanzas and cdrom: URIs are skipped.
deb822_awk='
function has(list, word,   n, a, i) { n = split(list, a, " "); for (i = 1; i <= n; i++) if (a[i] == word) return 1; return 0 }
function flush(   n, u, i) {
  if (!done && tolower(f["enabled"]) !~ /^[ \t]*(no|false|off|0|disable|without)[ \t]*$/ && has(f["types"], "deb") && has(f["suites"], want) && has(f["components"], "main")) {
    n = split(f["uris"], u, " ")
    for (i = 1; i <= n; i++) if (u[i] !~ /^cdrom:/) { print u[i]; done = 1; break }
  }
  split("", f); key = ""
}
{ sub(/\r$/, "") }
/^[ \t]*#/ { next }
/^[ \t]*$/ { flush(); next }
/^[ \t]/ { if (key != "") f[key] = f[key] " " $0; next }
{ i = index($0, ":"); if (i == 0) { key = ""; next }; key = tolower(substr($0, 1, i - 1)); f[key] = substr($0, i + 1) }
END { flush() }
'
oneline_awk='
{
  # [options] after the type go; brackets inside a word (a cdrom: URI) are dropped, keeping it one word.
  sub(/\r$/, ""); sub(/#.*/, ""); gsub(/[ \t]\[[^]]*\]/, " "); gsub(/\[[^]]*\]/, "")
  n = split($0, w, " ")
  if (n >= 4 && w[1] == "deb" && w[3] == want && w[2] !~ /^cdrom:/) for (i = 4; i <= n; i++) if (w[i] == "main") { print w[2]; exit }
}
'
# debian_uri APT_DIR CODENAME: prints the URI, or nothing. Files in apt's reading order.
debian_uri() {
  local f uri
  for f in "$1/sources.list" "$1"/sources.list.d/*; do
    [[ -f "$f" ]] || continue
    case "$f" in
      *.sources) uri="$(awk -v want="$2" "$deb822_awk" "$f")" ;;
      *.list) uri="$(awk -v want="$2" "$oneline_awk" "$f")" ;;
      *) continue ;;
    esac
    if [[ -n "$uri" ]]; then
      printf '%s\n' "$uri"
      return 0
    fi
  done
}
no_debian_source() {
  echo "install-deps.sh: no enabled Debian source for $1 with the main component was found in $2/sources.list or $2/sources.list.d/, so the archive URI cannot be derived: add the non-free-firmware component to your Debian source yourself (append it to the Components: line of its deb822 stanza, or to the end of its one-line \`deb\` entry), then rerun" >&2
  exit 4
}
os_codename() { (. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}"); }

if [[ "${1:-}" == --print-debian-uri ]]; then
  apt_dir="${2:-/etc/apt}"
  codename="${3:-$(os_codename)}"
  uri="$(debian_uri "$apt_dir" "$codename")"
  [[ -n "$uri" ]] || no_debian_source "$codename" "$apt_dir"
  printf '%s\n' "$uri"
  exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="$here/debian-packages.txt"
sources_file=/etc/apt/sources.list.d/boardkit-non-free-firmware.sources
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (apt-get)" >&2
  exit 3
fi

need_update=0

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "+ dpkg --add-architecture arm64"
  dpkg --add-architecture arm64
  need_update=1
fi

codename="$(os_codename)"
# Any enabled Debian source that carries the non-free-firmware component for the release will do.
has_nff() {
  # -q: exit 0 on a match even though some of the globbed files may not exist.
  grep -qsE '^[^#]*non-free-firmware' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources
}
if ! has_nff; then
  uri="$(debian_uri /etc/apt "$codename")"
  [[ -n "$uri" ]] || no_debian_source "$codename" /etc/apt
  echo "+ write $sources_file (URIs: $uri, from your Debian source)"
  cat >"$sources_file" <<SRC
Types: deb
URIs: $uri
Suites: $codename
Components: non-free-firmware
Signed-By: $keyring
SRC
  need_update=1
fi

missing=()
while read -r pkg _rest; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done <"$list"

# arm64 package lists must exist for `apt-get download u-boot-rpi:arm64`.
if ! ls /var/lib/apt/lists/*binary-arm64_Packages* >/dev/null 2>&1; then need_update=1; fi
if ! ls /var/lib/apt/lists/*non-free-firmware_binary-amd64_Packages* >/dev/null 2>&1; then need_update=1; fi

if ((${#missing[@]} > 0)) || ((need_update)); then
  echo "+ apt-get update"
  apt-get update -q
fi

if ((${#missing[@]} > 0)); then
  echo "+ apt-get install ${missing[*]}"
  # policy-rc.d exit 101 = "action forbidden": packages such as tftpd-hpa install without starting.
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap 'if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps.sh: all $(grep -cvE '^\s*(#|$)' "$list") packages present"
fi
