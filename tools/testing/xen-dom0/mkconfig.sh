#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkconfig.sh <ktree> <kobj> <kmake> <fragment>...: x86_64_defconfig plus the
# fragments, then check that every option a fragment asks for took effect.
set -euo pipefail
ktree=$1 kobj=$2 kmake=$3; shift 3
mkdir -p "$kobj"
stamp=$kobj/.config-inputs
want=$(cat "$@" | sha1sum)
if [ -f "$kobj/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	$kmake -s olddefconfig
else
	$kmake -s x86_64_defconfig
	"$ktree"/scripts/kconfig/merge_config.sh -m -O "$kobj" "$kobj/.config" "$@" >/dev/null
	$kmake -s olddefconfig
	echo "$want" > "$stamp"
fi
bad=0
for frag in "$@"; do
	# upstream fragments carry options for other arches; check only ours
	case "$(basename "$frag")" in xen.config) continue ;; esac
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*}
			grep -qx -- "$line" "$kobj/.config" || {
				echo "config: $opt: asked '$line', got '$(grep -E "^(# )?$opt[= ]" "$kobj/.config" || echo unset)'" >&2; bad=1; } ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
			if grep -q "^$opt=" "$kobj/.config"; then
				echo "config: $opt: asked off, got on" >&2; bad=1; fi ;;
		esac
	done < "$frag"
done
[ $bad -eq 0 ] || { echo "config: some requested options did not take effect" >&2; exit 1; }
echo "config: all requested options took effect ($(basename -a "$@" | tr '\n' ' '))"
