// MathJax is served by this site (docs/assets/vendor, copied from npm); see mkdocs.yml.
window.MathJax = {
  // Extensions are loaded up front from the site's own copy (docs/assets/vendor/mathjax).
  loader: { load: ["[tex]/boldsymbol"] },
  tex: {
    packages: { "[+]": ["boldsymbol"] },
    // \( \) from pymdownx.arithmatex; $ $ in notebook pages' rendered Markdown cells.
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    // Skip every element with a class, except math spans and notebook Markdown cells; classless
    // elements (paragraphs, list items) follow their parent.
    ignoreHtmlClass: ".+",
    // Material wraps tables in div.md-typeset__table; notebook tables hold $…$ math.
    processHtmlClass: "arithmatex|jp-RenderedMarkdown|md-typeset__table",
  },
};

// Material's instant navigation swaps pages without reloading: typeset each new page.
document$.subscribe(() => {
  if (window.MathJax && MathJax.startup && MathJax.startup.output) {
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    MathJax.typesetPromise();
  }
});
