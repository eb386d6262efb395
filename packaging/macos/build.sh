#!/usr/bin/env bash
# macOS: "Token Manager.app" and a drag-to-Applications dmg. Built on macOS (it
# cannot run on the Linux CI), from any folder:
#
#   bash packaging/macos/build.sh        # -> dist/Token Manager.app, dist/tokenmgr-<version>.dmg
#
# Needs Python 3.11+ (python3.11 or PYTHON=...) and the Xcode command line tools
# (codesign, hdiutil, plutil are part of macOS). The .app comes from the same
# PyInstaller spec as the Linux bundle (its BUNDLE step writes Info.plist: bundle id
# io.github.tokenmgr, the version, LSUIElement false, NSHighResolutionCapable true).
# PyInstaller signs it ad hoc; set CODESIGN_IDENTITY="Developer ID Application: ..."
# to sign it for distribution (notarisation is a separate, account-bound step).
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3.11}
VENV=build/macos-venv
APP="dist/Token Manager.app"

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q . "pyinstaller==6.*" pillow
VERSION=$("$VENV/bin/python" -I -c 'import tokenmgr; print(tokenmgr.__version__)')

"$VENV/bin/pyinstaller" --noconfirm --clean --distpath dist --workpath build/pyinstaller \
    packaging/tokenmgr.spec

plist="$APP/Contents/Info.plist"
plutil -lint "$plist"
for key_value in "CFBundleIdentifier=io.github.tokenmgr" "CFBundleShortVersionString=$VERSION" \
                 "LSUIElement=false" "NSHighResolutionCapable=true"; do
    key=${key_value%%=*} want=${key_value#*=}
    got=$(/usr/libexec/PlistBuddy -c "Print :$key" "$plist")
    [ "$got" = "$want" ] || { echo "Info.plist: $key is '$got', expected '$want'" >&2; exit 1; }
done
"$APP/Contents/MacOS/tokenmgr" --version | grep -qx "tokenmgr $VERSION"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp \
        --entitlements packaging/macos/entitlements.plist --sign "$CODESIGN_IDENTITY" "$APP"
fi
codesign --verify --deep --strict "$APP"

DMG="dist/tokenmgr-$VERSION.dmg"
STAGE=build/dmg
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Token Manager $VERSION" -srcfolder "$STAGE" -fs HFS+ \
    -format UDZO -ov "$DMG"
hdiutil verify "$DMG"
echo "built $DMG"
