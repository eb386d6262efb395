# tokenmgr — the two commands are `make run` and `make test`.
#
# `make test` on a fresh Debian machine installs what is missing (apt packages
# when root, else it prints the one apt command needed; the venv; the npm
# packages of the test OAuth server) and runs the whole suite. The services the
# integration tests need (a private D-Bus session bus with an unlocked
# gnome-keyring, oidc-provider) are started by the test fixtures themselves.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMPS := .stamps

# What the app needs to run (Qt's xcb platform, QtWebEngine's libraries, a font).
RUN_APT_PACKAGES := make python3 python3-venv python3-pip \
	libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-xinerama0 libxcb-shape0 \
	libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-xkb1 libxkbcommon-x11-0 \
	libegl1 libgl1 libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libasound2 \
	fonts-dejavu-core
# kubectl for the credential-helper tests: the machine's own, else Debian's.
KUBECTL_PACKAGE := $(if $(shell command -v kubectl 2>/dev/null),,kubernetes-client)
# What the tests add: a private keyring, shells, a virtual display with a tray host, a
# window manager (openbox: which window comes to the front) and a notification daemon,
# a clipboard manager, the clipboard and window tools, the packaging tools, and the
# clients of the credential helpers (git, kubectl).
APT_PACKAGES := $(RUN_APT_PACKAGES) \
	dbus gnome-keyring libsecret-tools fish zsh xvfb xauth trayer openbox \
	desktop-file-utils libglib2.0-bin appstream xclip xdotool x11-utils dunst copyq imagemagick \
	binutils zstd patchelf git $(KUBECTL_PACKAGE)
# oidc-provider 9 uses URL.parse and crypto.hash: Node.js 20.18 or newer.
NODE_MIN := 20.18
NODE_CHECK := const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 18) ? 0 : 1)

# $(call apt_install,PACKAGES): install the Debian packages that are missing (as root),
# else print the one apt command that would.
apt_install = missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:" $$missing; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "missing system packages; run:"; \
			echo "  sudo apt-get install -y $$missing"; exit 1; \
		fi; \
	fi

.PHONY: run test deps deps-run venv venv-run npm lint unit integration bench fuzz clean

# The app alone: its runtime packages and a venv without the test extras (no Node.js,
# no test tools).
run: deps-run venv-run
	$(VENV)/bin/tokenmgr

deps-run:
	@$(call apt_install,$(RUN_APT_PACKAGES))

test: deps venv npm lint
	QTWEBENGINE_DISABLE_SANDBOX=1 QT_QPA_PLATFORM=offscreen \
		$(PY) -m pytest -q -p no:cacheprovider tests
	$(PY) tests/bench/cli_latency.py --quick --strict
	$(PY) tests/bench/gui_startup.py --quick --guard
	$(PY) tests/bench/signin_window.py --quick --strict

deps:
	@$(call apt_install,$(APT_PACKAGES))
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		else echo "missing Node.js; run: sudo apt-get install -y nodejs npm"; exit 1; fi; }
	@node -e '$(NODE_CHECK)' || { \
		echo "Node.js $$(node --version) is too old: the test OAuth server (oidc-provider 9)"; \
		echo "needs Node.js >= $(NODE_MIN); install a newer Node.js (e.g. from NodeSource)"; \
		exit 1; }

venv: $(STAMPS)/venv
venv-run: $(STAMPS)/venv-run

$(STAMPS)/venv: pyproject.toml | $(VENV)/bin/pip
	@mkdir -p $(STAMPS)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@ $(STAMPS)/venv-run

$(STAMPS)/venv-run: pyproject.toml | $(VENV)/bin/pip
	@mkdir -p $(STAMPS)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	@touch $@

# A venv left half-made (no pip) by an earlier failure is made again.
$(VENV)/bin/pip:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	@rm -f $(STAMPS)/venv $(STAMPS)/venv-run

# npm ci again whenever node_modules is missing or older than the lock file.
npm:
	@if [ -f tests/oidc-server/package-lock.json ]; then cd tests/oidc-server && \
		{ [ node_modules/.package-lock.json -nt package-lock.json ] || \
		  npm ci --no-audit --no-fund --loglevel=error; }; fi

lint: venv
	$(VENV)/bin/ruff check tokenmgr tests
	$(VENV)/bin/mypy

unit: venv
	$(PY) -m pytest -q tests/unit

integration: deps venv npm
	$(PY) -m pytest -q tests/integration

bench: venv
	$(PY) tests/bench/cli_latency.py

# GUI start-up, the long form: time to first paint and peak RSS of the real start
# (Xvfb + trayer, gnome-keyring on a private bus) against a bare PySide6 window.
.PHONY: bench-gui
bench-gui: venv
	$(PY) tests/bench/gui_startup.py

# The embedded sign-in, the long form: the app's memory a minute after it (against a
# sign-in in the system browser) and the time to the provider's page (against a bare
# in-process view), the real app on Xvfb + openbox driven with the keyboard.
.PHONY: bench-signin
bench-signin: deps venv npm
	$(PY) tests/bench/signin_window.py

fuzz: venv
	$(PY) tests/fuzz/fuzz_inspect.py

# The README screenshots, remade from a demo vault under Xvfb (docs/screenshots/*.png).
.PHONY: screenshots
screenshots: deps venv
	$(PY) tests/screenshots/make_screenshots.py

# ------------------------------------------------------------------ packaging
# `make package` builds dist/tokenmgr_<version>_amd64.deb (packaging/build_deb.sh:
# PyInstaller one-folder bundle, package tree, Depends computed from the bundle,
# dpkg-deb -Zzstd); `make smoke-test` installs it, runs it and removes it (root).
# `make test` never builds the package.
PYINSTALLER_PIN := pyinstaller==6.*
# What the build needs beyond `deps`: readelf (binutils) for the Depends, and the
# system libraries the bundle links, so that every one resolves on the build machine
# (packaging/debian_depends.py names any that does not).
PACKAGE_APT_PACKAGES := binutils patchelf zstd libgtk-3-0 libnss3 libnspr4 libgbm1 libxkbfile1 \
	libxcb-dri3-0 libxcb-glx0 libwayland-client0 libwayland-cursor0 libwayland-egl1 \
	libxkbcommon0 libfontconfig1 libdbus-1-3

.PHONY: package smoke-test startup-ratio deps-package
package: deps deps-package venv $(STAMPS)/pyinstaller
	bash packaging/build_deb.sh

smoke-test:
	bash packaging/smoke_test.sh

# The bundle's `gui --smoke-test` start-up against the venv's (median ratio).
startup-ratio: venv
	$(PY) packaging/startup_ratio.py

$(STAMPS)/pyinstaller: $(STAMPS)/venv
	$(PY) -m pip install -q '$(PYINSTALLER_PIN)'
	@touch $@

deps-package:
	@$(call apt_install,$(PACKAGE_APT_PACKAGES))

clean:
	rm -rf $(STAMPS) build dist *.egg-info
