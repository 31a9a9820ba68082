// Renders what the site draws at build time, for literate/node_renderer.py: one JSON request
// per line on stdin, one JSON answer per line on stdout, in the same order. One process serves
// a whole build.
//   {"tex": "...", "display": false}  ->  {"html": "..."}   KaTeX's MathML, in <span class="katex">
//   {"dot": "digraph {...}"}          ->  {"svg": "..."}    Graphviz (WebAssembly, @viz-js/viz)
//   anything it cannot render         ->  {"error": "..."}
// argv[2] is the oldest Node major version the project supports (package.json "engines").
"use strict";

const oldest = Number(process.argv[2] || 0);
const major = Number(process.versions.node.split(".")[0]);
if (major < oldest) {
  process.stderr.write(
    `Node.js ${process.versions.node} is too old: the site needs Node.js ${oldest} or newer ` +
      "(https://nodejs.org/ or your system's packages).\n",
  );
  process.exit(3);
}

const readline = require("node:readline");

// MathML only: Chromium (since 109), Firefox and Safari draw MathML themselves, screen readers
// read it, and it needs no script. KaTeX's HTML rendering beside it tripled the elements a
// formula adds to the page, which a phone paid for in style and layout on every long page.
const KATEX_OPTIONS = {
  output: "mathml",
  throwOnError: true,
  strict: "error", // anything KaTeX would only warn about fails the build instead
  trust: false,
};

// Each library is loaded on first use: a build whose math is all cached but whose diagram is
// new does not load KaTeX, and the other way round.
let katex = null;
let viz = null; // a promise of the Graphviz instance (its WebAssembly compiles asynchronously)

function typeset(tex, display) {
  katex ??= require("katex");
  return { html: styledLetters(katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: Boolean(display) })) };
}

// MathML Core (what Chromium draws) ignores `mathvariant` other than "normal": \mathbf{w} would
// show as an italic w. Unicode has the styled letters themselves (U+1D400 on), which every
// browser draws with the math font and screen readers name ("bold w"), so a token whose every
// character has one is written with them instead of the attribute.
const LATIN = { upper: 0x41, lower: 0x61, digit: 0x30 };
const ALPHABETS = {
  bold: { upper: 0x1d400, lower: 0x1d41a, digit: 0x1d7ce, greekUpper: 0x1d6a8, greekLower: 0x1d6c2 },
  italic: { upper: 0x1d434, lower: 0x1d44e, greekUpper: 0x1d6e2, greekLower: 0x1d6fc },
  "bold-italic": { upper: 0x1d468, lower: 0x1d482, greekUpper: 0x1d71c, greekLower: 0x1d736 },
  script: { upper: 0x1d49c, lower: 0x1d4b6 },
  "double-struck": { upper: 0x1d538, lower: 0x1d552, digit: 0x1d7d8 },
  fraktur: { upper: 0x1d504, lower: 0x1d51e },
  "sans-serif": { upper: 0x1d5a0, lower: 0x1d5ba, digit: 0x1d7e2 },
  monospace: { upper: 0x1d670, lower: 0x1d68a, digit: 0x1d7f6 },
};
// Letters Unicode had before the block (Letterlike Symbols): the block leaves their places empty.
const EARLIER = {
  italic: { h: 0x210e },
  script: { B: 0x212c, E: 0x2130, F: 0x2131, H: 0x210b, I: 0x2110, L: 0x2112, M: 0x2133, R: 0x211b, e: 0x212f, g: 0x210a, o: 0x2134 },
  "double-struck": { C: 0x2102, H: 0x210d, N: 0x2115, P: 0x2119, Q: 0x211a, R: 0x211d, Z: 0x2124 },
  fraktur: { C: 0x212d, H: 0x210c, I: 0x2111, R: 0x211c, Z: 0x2128 },
};

function styledChar(variant, ch) {
  const alphabet = ALPHABETS[variant];
  const earlier = (EARLIER[variant] || {})[ch];
  if (earlier) return String.fromCodePoint(earlier);
  const code = ch.codePointAt(0);
  const ranges = [
    ["upper", LATIN.upper, 26], ["lower", LATIN.lower, 26], ["digit", LATIN.digit, 10],
    ["greekUpper", 0x391, 25], ["greekLower", 0x3b1, 25],
  ];
  for (const [name, first, count] of ranges) {
    if (code >= first && code < first + count && alphabet[name] !== undefined) {
      return String.fromCodePoint(alphabet[name] + code - first);
    }
  }
  return null;
}

function styledLetters(html) {
  return html.replace(/<(mi|mn|mtext) mathvariant="([a-z-]+)">([^<]+)<\/\1>/g, (token, tag, variant, text) => {
    if (!ALPHABETS[variant]) return token;
    const chars = [...text].map((ch) => styledChar(variant, ch));
    if (chars.some((ch) => ch === null)) return token;
    // A single letter in <mi> is drawn italic unless it says otherwise; styled letters are not.
    return `<${tag}>${chars.join("")}</${tag}>`;
  });
}

async function draw(dot) {
  viz ??= require("@viz-js/viz").instance();
  const result = (await viz).render(dot, { format: "svg" });
  if (result.status !== "success") {
    const messages = result.errors.filter((e) => e.level === "error").map((e) => e.message.trim());
    return { error: (messages.length ? messages : result.errors.map((e) => e.message.trim())).join("\n") };
  }
  return { svg: result.output };
}

async function answer(line) {
  try {
    const request = JSON.parse(line);
    if (typeof request.dot === "string") return await draw(request.dot);
    if (typeof request.tex === "string") return typeset(request.tex, request.display);
    return { error: `not a request: ${line}` };
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
}

// Answers are written in the order the requests came, whatever each one awaits.
let queue = Promise.resolve();
readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on("line", (line) => {
  queue = queue.then(() => answer(line)).then((reply) => {
    process.stdout.write(JSON.stringify(reply) + "\n");
  });
});
