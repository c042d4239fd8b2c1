#!/bin/sh
# Install the unpacked MentorMatch bundle for this user (or system-wide when run as root):
# links the two commands onto PATH and registers the .desktop entry and its icon.
#   ./install.sh            -> ~/.local/{bin,share/applications,share/icons}
#   sudo ./install.sh       -> /usr/local/{bin,share/applications,share/icons}
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
mkdir -p "$prefix/bin" "$prefix/share/applications" "$prefix/share/icons/hicolor/scalable/apps"
ln -sf "$here/mentormatch" "$prefix/bin/mentormatch"
ln -sf "$here/mentormatch-desktop" "$prefix/bin/mentormatch-desktop"
sed "s|^Exec=mentormatch-desktop|Exec=$here/mentormatch-desktop|" \
    "$here/share/applications/mentormatch-desktop.desktop" \
    > "$prefix/share/applications/mentormatch-desktop.desktop"
cp "$here/share/icons/hicolor/scalable/apps/mentormatch-desktop.svg" \
    "$prefix/share/icons/hicolor/scalable/apps/mentormatch-desktop.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
echo "MentorMatch installed: $prefix/bin/mentormatch-desktop"
