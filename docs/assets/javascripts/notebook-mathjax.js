// Intentionally empty. mkdocs-jupyter's notebook template loads MathJax 2 from a CDN unless
// given a URL; the site already loads its own MathJax 3 (see mathjax-config.js), so the
// template is pointed here instead.
