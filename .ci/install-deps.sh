#!/usr/bin/env bash
# Installs the Debian packages boardkit's tests need, idempotently. Shared with `boardkit doctor`:
# the package list lives ONLY in .ci/debian-packages.txt (column 1), and the apt source written
# here is the same one `boardkit doctor --fix` writes (src/workflows/doctor-fixes.ts).
#
# - adds the arm64 foreign architecture (u-boot-rpi:arm64 is downloaded, never installed);
# - adds the non-free-firmware component (raspi-firmware is downloaded, NEVER installed: its
#   postinst copies blobs into the host's /boot/firmware), signed by the Debian archive keyring;
# - runs apt-get update at most once, and only when something is missing or a source changed;
# - keeps peer daemons (tftpd-hpa) from starting during the install with a policy-rc.d.
set -euo pipefail

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

codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
# Any enabled Debian source that carries the non-free-firmware component for the release will do.
has_nff() {
  # -q: exit 0 on a match even though some of the globbed files may not exist.
  grep -qsE '^[^#]*non-free-firmware' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources
}
if ! has_nff; then
  echo "+ write $sources_file"
  cat >"$sources_file" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
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
