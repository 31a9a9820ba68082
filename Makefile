# Every target sets up what it needs: the virtualenv (.venv), the Node packages that draw
# the math and the diagrams at build time (node_modules), and, where it builds, the package.
# Building needs Python and Node.js only (see `node`, below), no system package.
SHELL := bash
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV := .venv
BIN := $(VENV)/bin
NODE_PACKAGES := node_modules/.installed

.PHONY: serve serve-en site editions execution edition-zh edition-en test tangle check bench lock clean node

# One edition per MkDocs project: mkdocs.yml (Chinese), mkdocs.en.yml (English).
serve: node $(BIN)/.installed $(NODE_PACKAGES) tangle
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

serve-en: node $(BIN)/.installed $(NODE_PACKAGES) tangle
	SITE_URL=http://127.0.0.1:8001/en/ $(BIN)/mkdocs serve -f mkdocs.en.yml --dev-addr 127.0.0.1:8001 --livereload

site: node $(BIN)/.installed $(NODE_PACKAGES) tangle
	@mkdir -p .cache
	flock .cache/site.lock $(MAKE) --no-print-directory editions

# Both editions into $(SITE), side by side (each on a core of its own; `-O` prints each one's
# log whole when it ends): zh/ and en/, and at the root a page leading to them and the Chinese
# 404 page, for servers with one 404 page. The editions share the execution cache, and a build
# that finds another one running chapters waits for it, so each chapter runs once. Beside them,
# `execution` runs the chapters the cache lacks, starting them while MkDocs is still loading
# (about 0.45 s sooner); a chapter that fails is reported by the builds, with its file and line.
# They are built into $(SITE).new and replace $(SITE) only when both succeed: a failed build
# leaves the published site as it was. ORIGIN (e.g. http://127.0.0.1:8123) is where the site
# will be served, when not http://127.0.0.1:8000: the language switcher finds the same page
# through the sitemaps, which hold full addresses.
SITE ?= site
editions:
	rm -rf $(SITE).new
	$(MAKE) --no-print-directory -j3 -O execution edition-zh edition-en || { rm -rf $(SITE).new; exit 1; }
	cp site-root/index.html $(SITE).new/index.html
	cp $(SITE).new/zh/404.html $(SITE).new/404.html
	rm -rf $(SITE).old && { [ ! -e $(SITE) ] || mv $(SITE) $(SITE).old; } && mv $(SITE).new $(SITE) && rm -rf $(SITE).old

execution:
	-$(BIN)/python -m literate execute --config mkdocs.yml

edition-zh:
	$(if $(ORIGIN),SITE_URL=$(ORIGIN)/zh/) $(BIN)/mkdocs build --strict -f mkdocs.yml --site-dir $(SITE).new/zh

edition-en:
	$(if $(ORIGIN),SITE_URL=$(ORIGIN)/en/) $(BIN)/mkdocs build --strict -f mkdocs.en.yml --site-dir $(SITE).new/en

test: node $(BIN)/.installed $(NODE_PACKAGES)
	$(BIN)/pytest -n auto --dist loadfile --no-loadscope-reorder --durations=15

tangle: $(BIN)/.installed
	$(BIN)/python -m literate tangle

check: $(BIN)/.installed
	$(BIN)/python -m literate tangle --check

bench: node $(BIN)/.installed $(NODE_PACKAGES)
	$(BIN)/python benchmarks/bench.py

$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	set -o pipefail; $(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  -c requirements.lock -e '.[docs,test]' 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	touch $@

# KaTeX and Graphviz (@viz-js/viz) come from npm (pinned in package-lock.json): Node renders the
# math (MathML, which the browser draws: no stylesheet or font to serve) and the diagrams at build
# time (src/literate/render/node_renderer.py). docs/assets/vendor held KaTeX's stylesheet and fonts
# before the math became MathML only; a checkout that still has it would publish it, so it goes.
$(NODE_PACKAGES): package.json package-lock.json | node
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf docs/assets/vendor
	touch $@

# Node.js renders the math (KaTeX) and the diagrams (Graphviz compiled to WebAssembly) when the
# site is built; package.json's "engines" says which versions. Checked on every run of a target
# that builds, before anything is set up: a warm build starts no Node, so a missing one would
# otherwise surface only once a formula or a diagram changes.
NODE_MAJOR := $(shell sed -n 's/^ *"node": *">= *\([0-9][0-9]*\).*/\1/p' package.json)
node:
	@v=$$(node --version 2>/dev/null) || v=; major=$${v#v}; major=$${major%%.*}; \
	case "$$major" in ''|*[!0-9]*) ok=;; *) ok=$$([ "$$major" -ge $(NODE_MAJOR) ] && echo yes);; esac; \
	[ -n "$$ok" ] || { \
	  echo "Node.js $(NODE_MAJOR) or newer is needed to build the site (KaTeX and Graphviz run under it); found: $${v:-no \`node\` on PATH}." >&2; \
	  echo "Get it from https://nodejs.org/en/download (an installer, nvm, or the Linux binaries; Debian 13: apt-get install nodejs npm)." >&2; \
	  exit 1; }

lock: $(BIN)/.installed
	{ sed -n 1,2p requirements.lock; echo "torch==2.13.0"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^torch=='; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf site .cache
