# Every target sets up what it needs: the virtualenv (.venv), the browser assets
# the site serves itself (docs/assets/vendor), and, where it builds, the package.
SHELL := bash
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV := .venv
BIN := $(VENV)/bin
VENDOR := docs/assets/vendor
KATEX := node_modules/katex/dist

.PHONY: serve serve-en site editions execution edition-zh edition-en test tangle check bench lock clean

# One edition per MkDocs project: mkdocs.yml (Chinese), mkdocs.en.yml (English).
serve: $(BIN)/.installed $(VENDOR)/.installed tangle
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

serve-en: $(BIN)/.installed $(VENDOR)/.installed tangle
	SITE_URL=http://127.0.0.1:8001/en/ $(BIN)/mkdocs serve -f mkdocs.en.yml --dev-addr 127.0.0.1:8001 --livereload

site: $(BIN)/.installed $(VENDOR)/.installed tangle
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

test: $(BIN)/.installed $(VENDOR)/.installed
	$(BIN)/pytest -n auto --dist loadfile --durations=10

tangle: $(BIN)/.installed
	$(BIN)/python -m literate tangle

check: $(BIN)/.installed
	$(BIN)/python -m literate tangle --check

bench: $(BIN)/.installed $(VENDOR)/.installed
	$(BIN)/python benchmarks/bench.py

$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	set -o pipefail; $(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  -c requirements.lock -e '.[docs,test]' 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	touch $@

# KaTeX comes from npm (pinned in package-lock.json): Node typesets the math at build time
# (src/literate/math.py); the pages get its stylesheet and its fonts, served by the site. Only
# the woff2 fonts: the stylesheet's woff/ttf fallbacks are dropped, no browser that runs the
# site needs them. font-display: swap (katex-swap) shows text before the fonts arrive.
$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/katex/fonts
	sed -E 's/,url\(fonts\/[^)]*\.woff\) format\("woff"\),url\(fonts\/[^)]*\.ttf\) format\("truetype"\)//g' \
	  $(KATEX)/katex-swap.min.css > $(VENDOR)/katex/katex.min.css
	! grep -q '\.ttf' $(VENDOR)/katex/katex.min.css
	cp $(KATEX)/fonts/*.woff2 $(VENDOR)/katex/fonts/
	touch $@

lock: $(BIN)/.installed
	{ sed -n 1,2p requirements.lock; echo "torch==2.13.0"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^torch=='; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf site .cache $(VENDOR)
