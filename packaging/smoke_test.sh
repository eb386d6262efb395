#!/usr/bin/env bash
# Smoke test of the .deb, as a user gets it (qutebrowser's frozen-binary check):
#
#   bash packaging/smoke_test.sh [dist/tokenmgr_<version>_amd64.deb]
#
# Needs root (dpkg -i; CI runs as root) and a machine where the package is not
# installed yet. It installs the package (dpkg -i, then apt-get -f install for the
# Depends), runs the installed /usr/bin/tokenmgr: --version, doctor, add / get /
# list / rm against a real gnome-keyring on a private session bus, the desktop app's
# own `gui --smoke-test` offscreen, one sign-in window (its own process, started as
# the app starts it: packaging/signin_window_smoke.py); checks that every ELF file
# of /opt/tokenmgr finds its libraries, the menu entry, the icons and the metainfo
# (and validates them);
# then removes and purges the package and checks that nothing of it is left.
#
# A traceback, or any stderr line the step does not expect, fails it. Everything
# happens under a temporary TOKENMGR_HOME and HOME; the keyring is a throw-away one.
# QTWEBENGINE_DISABLE_SANDBOX=1 is set for the GUI steps only, here, because CI runs
# as root (Chromium refuses its sandbox as root); the app and the package never set it.
set -euo pipefail
cd "$(dirname "$0")/.."

APP_ID=io.github.tokenmgr
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' tokenmgr/__init__.py)
DEB=${1:-dist/tokenmgr_${VERSION}_$(dpkg --print-architecture).deb}
PASSWORD=tokenmgr-smoke-keyring-password
ICON_SIZES="16x16 22x22 24x24 32x32 48x48 64x64 128x128 256x256"

fail() { echo "smoke_test: FAIL: $*" >&2; exit 1; }
say() { echo "smoke_test: $*" >&2; }

[ -f "$DEB" ] || fail "no $DEB: run \`make package\` first"
[ "$(id -u)" = 0 ] || fail "run as root (it installs and removes $DEB with dpkg)"
if dpkg-query -W -f='${Status}' tokenmgr 2>/dev/null | grep -q "installed"; then
    fail "the tokenmgr package is already installed here; the smoke test installs and" \
         "purges it, so remove it first: dpkg --purge tokenmgr"
fi
for tool in dbus-run-session dbus-send gnome-keyring-daemon desktop-file-validate appstreamcli; do
    command -v "$tool" >/dev/null || fail "missing $tool (make deps installs it)"
done

WORK=$(mktemp -d /tmp/tokenmgr-smoke.XXXXXX)
installed=0
cleanup() {
    if [ "$installed" = 1 ]; then
        dpkg --purge tokenmgr >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -m 0700 "$WORK/home" "$WORK/run" "$WORK/tokenmgr-home"
export HOME="$WORK/home" XDG_RUNTIME_DIR="$WORK/run" TOKENMGR_HOME="$WORK/tokenmgr-home"
export XDG_DATA_HOME="$WORK/home/.local/share" XDG_CONFIG_HOME="$WORK/home/.config"
export XDG_CACHE_HOME="$WORK/home/.cache"
unset TOKENMGR_STORE TOKENMGR_PASSPHRASE

# ----------------------------------------------------------------- install
say "installing $DEB"
if ! dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1; then
    # Missing Depends leave it unpacked, not configured: apt brings them in.
    say "dpkg -i needs the Depends: apt-get -f install"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq >>"$WORK/dpkg.log" 2>&1 \
        || { cat "$WORK/dpkg.log" >&2; fail "apt-get -f install"; }
fi
installed=1
dpkg-query -W -f='${Status}' tokenmgr | grep -q "install ok installed" \
    || { cat "$WORK/dpkg.log" >&2; fail "tokenmgr is not configured after install"; }
[ "$(dpkg-query -W -f='${Version}' tokenmgr)" = "$VERSION" ] || fail "package version"
dpkg-query -W -f='${Recommends}\n' tokenmgr | grep -qx "gnome-keyring | kwalletmanager | keepassxc" \
    || fail "Recommends is not the Secret Service alternatives"
dpkg -L tokenmgr >"$WORK/files"
if grep -q "autostart" "$WORK/files"; then fail "the package installs an autostart entry"; fi

# ----------------------------------------------------------------- helpers
# check NAME STATUS ALLOWED-STDERR-REGEX -- CMD...: run CMD, stdout to $WORK/NAME.out;
# its exit status must be STATUS; every stderr line must match the (extended) regex,
# and none may be part of a traceback.
check() {
    local name=$1 want=$2 allowed=$3
    shift 4
    local status=0
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
    if grep -qE "Traceback|^  File \"" "$WORK/$name.err" "$WORK/$name.out"; then
        cat "$WORK/$name.err" >&2
        fail "$name: a traceback"
    fi
    if [ "$status" != "$want" ]; then
        cat "$WORK/$name.out" "$WORK/$name.err" >&2
        fail "$name: exit status $status, expected $want"
    fi
    local unexpected
    unexpected=$(grep -vE "^(${allowed})\$" "$WORK/$name.err" || true)
    if [ -n "$unexpected" ]; then
        printf '%s\n' "$unexpected" >&2
        fail "$name: unexpected stderr (above)"
    fi
    say "ok: $name"
    sed 's/^/    | /' "$WORK/$name.err" >&2
}
NOTHING='$^'

# ----------------------------------------------------------------- the program
[ "$(command -v tokenmgr)" = /usr/bin/tokenmgr ] || fail "tokenmgr is not /usr/bin/tokenmgr on PATH"
check version 0 "$NOTHING" -- /usr/bin/tokenmgr --version
[ "$(cat "$WORK/version.out")" = "tokenmgr $VERSION" ] \
    || fail "--version says '$(cat "$WORK/version.out")', expected 'tokenmgr $VERSION'"

# Every ELF file of the bundle resolves its libraries (QtWebEngine's, xcb's) with
# what the Depends brought in; the same walk that computed them.
check libraries 0 "$NOTHING" -- python3 packaging/debian_depends.py /opt/tokenmgr
# No file searches a library path outside the bundle (the build machine's, say).
check runpath 0 "$NOTHING" -- python3 packaging/runpath.py check /opt/tokenmgr
[ -x /opt/tokenmgr/_internal/PySide6/Qt/libexec/QtWebEngineProcess ] \
    || fail "no QtWebEngineProcess in the bundle"
for f in resources/icudtl.dat resources/qtwebengine_resources.pak \
         translations/qtwebengine_locales/en-US.pak; do
    [ -f "/opt/tokenmgr/_internal/PySide6/Qt/$f" ] || fail "no $f in the bundle"
done

# The rest runs on a private session bus with its own, unlocked gnome-keyring
# (DISPLAY unset: with a display, a locked collection would open a prompt).
cat >"$WORK/session.sh" <<'EOF'
set -euo pipefail
printf '%s' "$PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
for _ in $(seq 200); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
        | grep -q "boolean true" && break
    sleep 0.05
done
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q "boolean true" \
    || fail "gnome-keyring-daemon did not take org.freedesktop.secrets"

check doctor 0 "$NOTHING" -- tokenmgr doctor
grep -qE "^store: +keyring: .*SecretService.* secure, answers" "$WORK/doctor.out" \
    || { cat "$WORK/doctor.out" >&2; fail "doctor: the Secret Service does not answer"; }

SECRET="smoke-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
check add 0 "tokenmgr: (added|stored|saved) .*" -- sh -c 'printf "%s" "$1" | tokenmgr add smoke --service Smoke' sh "$SECRET"
check get 0 "$NOTHING" -- tokenmgr get smoke
[ "$(cat "$WORK/get.out")" = "$SECRET" ] || fail "get: not the stored token"
check header 0 "$NOTHING" -- tokenmgr get smoke --format header
[ "$(cat "$WORK/header.out")" = "Authorization: Bearer $SECRET" ] || fail "get --format header"
check list 0 "$NOTHING" -- tokenmgr list --json
grep -q '"name": "smoke"' "$WORK/list.out" || fail "list --json: no smoke entry"
if grep -rqF "$SECRET" "$TOKENMGR_HOME"; then fail "the token is in TOKENMGR_HOME (plaintext)"; fi
# A program `exec` starts gets the user's environment, not the bundle's library and
# plugin paths (nor its bookkeeping), plus the token.
# (Only those variables are printed: this script's exported functions are in the
# environment too, and their text would look like a traceback to `check`.)
check exec 0 "$NOTHING" -- env LD_LIBRARY_PATH=/smoke/lib tokenmgr exec smoke -- sh -c \
    'env | grep -E "^(SMOKE_TOKEN|LD_LIBRARY_PATH|LD_LIBRARY_PATH_ORIG|QT_PLUGIN_PATH|QML2_IMPORT_PATH|PYSIDE6_[A-Z_]*|_PYI_[A-Z_]*)=" | sort'
printf '%s\n' "LD_LIBRARY_PATH=/smoke/lib" "SMOKE_TOKEN=$SECRET" >"$WORK/exec.want"
if ! cmp -s "$WORK/exec.out" "$WORK/exec.want"; then
    sed 's/=.*/=…/' "$WORK/exec.out" >&2
    fail "exec: the child did not get the user's environment plus its token (names above)"
fi

# The desktop app's own smoke test (whole window with the entries, first paint,
# no secret read, QtWebEngine not loaded), offscreen.
check gui 0 "tokenmgr: smoke test passed \(1 entries\)|(WARNING tokenmgr.qt: )?This plugin does not support propagateSizeHints\(\)" \
    -- env QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 tokenmgr gui --smoke-test

# The sign-in window's own process, started from the same executable the way the app
# starts it (its pipe on stdin and stdout): it shows a local page, captures the page's
# redirect before it loads and hands it to a local listener, then closes when told.
check signin-window 0 "signin_window_smoke: the sign-in window showed a page and delivered its redirect" \
    -- env QTWEBENGINE_DISABLE_SANDBOX=1 python3 packaging/signin_window_smoke.py /usr/bin/tokenmgr

# The same program answers docker as docker-credential-tokenmgr (a link of the bundle).
check docker-version 0 "$NOTHING" -- docker-credential-tokenmgr version
grep -q "^docker-credential-tokenmgr " "$WORK/docker-version.out" || fail "docker helper: version"
check docker-get 1 "$NOTHING" -- sh -c 'printf registry.smoke.test | docker-credential-tokenmgr get'
[ "$(cat "$WORK/docker-get.out")" = "credentials not found in native keychain" ] \
    || fail "docker helper: a registry no entry serves"

check rm 0 "tokenmgr: (removed|deleted) .*" -- tokenmgr rm smoke
check gone 3 "tokenmgr: .*(no such entry|not found|no entry).*" -- tokenmgr get smoke
EOF
export PASSWORD WORK
export -f check fail say
# (dbus-daemon's own complaint about the fd limit in a container is no tokenmgr output.)
env -u DISPLAY -u WAYLAND_DISPLAY NOTHING="$NOTHING" dbus-run-session -- bash "$WORK/session.sh" \
    2> >(grep -v "Failed to set fd limit" >&2)

# ----------------------------------------------------------------- desktop files
DESKTOP=/usr/share/applications/$APP_ID.desktop
METAINFO=/usr/share/metainfo/$APP_ID.metainfo.xml
[ -f "$DESKTOP" ] || fail "no $DESKTOP"
[ -f "$METAINFO" ] || fail "no $METAINFO"
grep -qx "Icon=$APP_ID" "$DESKTOP" || fail "$DESKTOP: Icon is not $APP_ID"
grep -qx "Exec=tokenmgr gui" "$DESKTOP" || fail "$DESKTOP: Exec"
[ -f "/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg" ] || fail "no scalable icon"
for size in $ICON_SIZES; do
    png=/usr/share/icons/hicolor/$size/apps/$APP_ID.png
    [ -f "$png" ] || fail "no $png"
    [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || fail "$png is no PNG"
done
check desktop-file-validate 0 "$NOTHING" -- desktop-file-validate "$DESKTOP"
[ ! -s "$WORK/desktop-file-validate.out" ] || { cat "$WORK/desktop-file-validate.out" >&2; fail "desktop-file-validate"; }
check appstreamcli 0 "$NOTHING" -- appstreamcli validate --no-net "$METAINFO"

# ----------------------------------------------------------------- removal
say "removing and purging the package"
dpkg -r tokenmgr >>"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg -r"; }
dpkg --purge tokenmgr >>"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg --purge"; }
installed=0
if dpkg-query -W -f='${Status}' tokenmgr 2>/dev/null | grep -q "installed"; then
    fail "tokenmgr still installed after purge"
fi
left=""
while read -r path; do
    # Directories other packages own too (/usr/share/icons/hicolor/..., /opt) stay.
    if [ -e "$path" ] && [ ! -d "$path" ] || [ -L "$path" ]; then left="$left $path"; fi
done <"$WORK/files"
for path in /opt/tokenmgr /usr/bin/tokenmgr /usr/bin/docker-credential-tokenmgr "$DESKTOP" "$METAINFO" \
            "/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg" /usr/share/doc/tokenmgr; do
    if [ -e "$path" ] || [ -L "$path" ]; then left="$left $path"; fi
done
[ -z "$left" ] || fail "left behind after purge:$left"
say "passed: tokenmgr $VERSION installed, ran, removed cleanly"
