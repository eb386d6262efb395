#!/usr/bin/env bash
# Build dist/tokenmgr_<version>_amd64.deb: `make package` runs this (after putting
# PyInstaller into the venv). Steps, each timed on stderr:
#   1. the one-folder bundle: PyInstaller with packaging/tokenmgr.spec -> dist/tokenmgr/
#   2. the package tree under build/deb/: the bundle in /opt/tokenmgr, /usr/bin/tokenmgr
#      (a symlink: the bootloader finds its _internal/ through /proc/self/exe), the
#      menu entry, hicolor icons (SVG + PNGs), the AppStream metainfo
#   3. DEBIAN/control, Depends computed from the bundle (packaging/debian_depends.py)
#   4. dpkg-deb -Zzstd
# No maintainer scripts: the icon cache and the desktop database are refreshed by
# the triggers of hicolor-icon-theme / desktop-file-utils, and no autostart entry is
# installed (starting at login is the app's per-user setting).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
APP_ID=io.github.tokenmgr
BUNDLE=dist/tokenmgr
ROOT=build/deb/root
t0=$SECONDS
step() { echo "build_deb: [$((SECONDS - t0)) s] $*" >&2; }

# -I: not the current folder on sys.path (it holds setuptools' tokenmgr.egg-info).
VERSION=$("$PY" -I -c 'import tokenmgr; print(tokenmgr.__version__)')
# The venv's installed metadata is what the bundle's dist-info is copied from.
META=$("$PY" -I -c 'import importlib.metadata as m; print(m.version("tokenmgr"))')
if [ "$META" != "$VERSION" ]; then
    echo "build_deb: the venv's tokenmgr metadata says $META, tokenmgr.__version__ says" \
         "$VERSION; reinstall it: .venv/bin/pip install -e ." >&2
    exit 1
fi
if ! grep -q "<release version=\"$VERSION\"" "resources/$APP_ID.metainfo.xml"; then
    echo "build_deb: resources/$APP_ID.metainfo.xml has no <release version=\"$VERSION\">" >&2
    exit 1
fi
ARCH=$(dpkg --print-architecture)
DEB=dist/tokenmgr_${VERSION}_${ARCH}.deb

step "PyInstaller: $BUNDLE (version $VERSION)"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/tokenmgr.spec
# COLLECT leaves top-level links to the Qt libraries the spec dropped.
find "$BUNDLE" -xtype l -delete
# No library search path of the build machine ships (packaging/runpath.py).
python3 packaging/runpath.py fix "$BUNDLE"
got=$("$BUNDLE/tokenmgr" --version)
if [ "$got" != "tokenmgr $VERSION" ]; then
    echo "build_deb: the bundle's --version says '$got', expected 'tokenmgr $VERSION'" >&2
    exit 1
fi

step "QtWebEngine probe: the same spec and trimming, frozen, loads a page offscreen"
# (`gui --smoke-test` never loads QtWebEngine; this proves the sign-in window's engine
# works from exactly the Qt files the bundle ships.)
TOKENMGR_WEBENGINE_PROBE=1 "$PY" -m PyInstaller --noconfirm --log-level ERROR \
    --distpath build/probe --workpath build/pyinstaller-probe packaging/tokenmgr.spec
find build/probe -xtype l -delete
python3 packaging/runpath.py fix build/probe/webengine-probe
qt_files() { (cd "$1/_internal/PySide6/Qt" && find . -type f | sort); }
if ! diff <(qt_files "$BUNDLE") <(qt_files build/probe/webengine-probe) >/dev/null; then
    echo "build_deb: the probe's Qt files differ from the bundle's" >&2
    diff <(qt_files "$BUNDLE") <(qt_files build/probe/webengine-probe) >&2 || true
    exit 1
fi
(
    export QT_QPA_PLATFORM=offscreen
    # Chromium refuses its sandbox as root (CI); this is the probe's environment only.
    if [ "$(id -u)" = 0 ]; then export QTWEBENGINE_DISABLE_SANDBOX=1; fi
    timeout 120 build/probe/webengine-probe/webengine-probe 2>build/probe/stderr.txt
) || { cat build/probe/stderr.txt >&2; echo "build_deb: the QtWebEngine probe failed" >&2; exit 1; }
if grep -q "Traceback" build/probe/stderr.txt; then
    cat build/probe/stderr.txt >&2; exit 1
fi

step "package tree: $ROOT"
rm -rf build/deb
mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" \
    "$ROOT/usr/share/metainfo" "$ROOT/usr/share/doc/tokenmgr" \
    "$ROOT/usr/share/icons/hicolor/scalable/apps"
cp -a "$BUNDLE" "$ROOT/opt/tokenmgr"
# QtWebEngine makes an empty Qt/resources/locales beside its resources the first time it
# runs with the rights to (as root): the package owns that folder, so a purge removes it.
mkdir -p "$ROOT/opt/tokenmgr/_internal/PySide6/Qt/resources/locales"
ln -s /opt/tokenmgr/tokenmgr "$ROOT/usr/bin/tokenmgr"
# docker runs credential helpers by name; the launcher answers to this one as docker's.
ln -s /opt/tokenmgr/tokenmgr "$ROOT/usr/bin/docker-credential-tokenmgr"
install -m 0644 "resources/$APP_ID.desktop" "$ROOT/usr/share/applications/"
install -m 0644 "resources/$APP_ID.metainfo.xml" "$ROOT/usr/share/metainfo/"
install -m 0644 resources/tokenmgr.svg "$ROOT/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"
for png in resources/icons/hicolor/*/apps/"$APP_ID".png; do
    size=$(basename "$(dirname "$(dirname "$png")")")
    install -D -m 0644 "$png" "$ROOT/usr/share/icons/hicolor/$size/apps/$APP_ID.png"
done
cat > "$ROOT/usr/share/doc/tokenmgr/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tokenmgr
Source: https://github.com/tokenmgr/tokenmgr

Files: *
Copyright: The tokenmgr developers
License: MIT

Files: opt/tokenmgr/_internal/*
Comment: the Python runtime and the wheels tokenmgr depends on (PySide6 and Qt
 under LGPL-3.0, QtWebEngine/Chromium under their own licences, keyring, requests,
 cryptography, PyJWT, platformdirs, jeepney), as pip installed them.
EOF
# Files 0644, folders and programs 0755, whatever the umask of the build.
chmod -R u=rwX,go=rX "$ROOT"

step "Depends: from the bundle's ELF files (ldd + dpkg -S)"
DEPENDS=$(python3 packaging/debian_depends.py "$BUNDLE")
INSTALLED_KB=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<EOF
Package: tokenmgr
Version: $VERSION
Architecture: $ARCH
Maintainer: The tokenmgr developers <tokenmgr@users.noreply.github.com>
Installed-Size: $INSTALLED_KB
Depends: $DEPENDS
Recommends: gnome-keyring | kwalletmanager | keepassxc
Section: utils
Priority: optional
Homepage: https://github.com/tokenmgr/tokenmgr
Description: desktop token manager: API tokens in the keyring, OAuth2 sign-in
 Token Manager keeps API keys, personal access tokens and OAuth 2.0 tokens in
 the desktop's keyring (the Secret Service: GNOME Keyring, KWallet, KeePassXC),
 signs in to OAuth 2.0 / OpenID Connect providers, explains what a JWT says,
 and hands tokens out as Authorization headers or shell export lines, from the
 window, the tray menu, or the tokenmgr command line.
EOF

step "dpkg-deb -Zzstd: $DEB"
rm -f "$DEB"
dpkg-deb --root-owner-group -Zzstd -z"${ZSTD_LEVEL:-19}" --build "$ROOT" "$DEB" >/dev/null
step "done: $DEB ($(du -h "$DEB" | cut -f1); bundle $(du -sh "$BUNDLE" | cut -f1) unpacked)"
