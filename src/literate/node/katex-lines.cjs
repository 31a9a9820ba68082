// Typesets TeX with KaTeX for literate/math.py: one JSON request per line on stdin,
// {"tex": "...", "display": false}, one JSON answer per line on stdout, in the same order:
// {"html": "..."} or {"error": "..."}. One process serves a whole build.
"use strict";
const readline = require("node:readline");
const katex = require("katex");

const OPTIONS = {
  output: "htmlAndMathml", // the MathML copy is what screen readers read
  throwOnError: true,
  strict: "error", // anything KaTeX would only warn about fails the build instead
  trust: false,
};

if (process.argv[2] === "--version") {
  process.stdout.write(katex.version + "\n");
  process.exit(0);
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  let answer;
  try {
    const { tex, display } = JSON.parse(line);
    answer = { html: katex.renderToString(tex, { ...OPTIONS, displayMode: Boolean(display) }) };
  } catch (error) {
    answer = { error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
