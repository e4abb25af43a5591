// Tokenize .pol files with the extension's grammar as VS Code does (vscode-textmate on Oniguruma), for the tests.
// Usage: node test/tokenize.mjs FILE... → JSON: per file, per line, [text, scopes] of each token.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import oniguruma from "vscode-oniguruma";
import textmate from "vscode-textmate";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const wasm = readFileSync(join(dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));

const registry = new textmate.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (text) => new oniguruma.OnigString(text),
  }),
  loadGrammar: async (scope) => scope === "source.pol"
    ? textmate.parseRawGrammar(readFileSync(join(here, "..", "syntaxes", "pol.tmLanguage.json"), "utf8"), "pol.json")
    : null,
});
const grammar = await registry.loadGrammar("source.pol");
const out = {};
for (const file of process.argv.slice(2)) {
  let state = textmate.INITIAL;
  out[file] = readFileSync(file, "utf8").split("\n").map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes.slice(1)]);
  });
}
console.log(JSON.stringify(out));
