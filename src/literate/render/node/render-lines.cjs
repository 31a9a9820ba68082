// Renders what the site draws at build time, for literate/node_renderer.py: one JSON request
// per line on stdin, one JSON answer per line on stdout, in the same order. One process serves
// a whole build.
//   {"tex": "...", "display": false}  ->  {"html": "..."}   KaTeX's HTML and MathML
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

const KATEX_OPTIONS = {
  output: "htmlAndMathml", // the MathML copy is what screen readers read
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
  return { html: katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: Boolean(display) }) };
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
