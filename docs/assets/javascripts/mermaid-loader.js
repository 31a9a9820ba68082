// Mermaid is 3.5 MB of JavaScript; only pages that draw a diagram should pay for it.
// Material calls mermaid.initialize() and mermaid.render() when a page has a diagram, and
// fetches mermaid from a CDN when `mermaid` is undefined. This stand-in loads the site's own
// copy (docs/assets/vendor, from npm) on first use instead; the real library then replaces it.
(() => {
  const src = new URL("../vendor/mermaid/mermaid.min.js", document.currentScript.src).href;
  let library;
  const load = () =>
    (library ??= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => resolve(window.mermaid);
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.appendChild(script);
    }));
  window.mermaid = {
    initialize: (config) => void load().then((mermaid) => mermaid.initialize(config)),
    render: (...args) => load().then((mermaid) => mermaid.render(...args)),
  };
})();
