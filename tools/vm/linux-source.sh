#!/usr/bin/env bash
# Print the directory of the extracted Debian linux-source-6.12 (extracting
# /usr/src/linux-source-6.12.tar.xz into /var/cache/iuc/src once if needed).
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"
iuc_linux_source
