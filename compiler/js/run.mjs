// Runs JavaScript evaluators for pol's tests and `pol test --target js`: reads a JSON request on stdin,
// {"modules": {key: path}, "cases": [{"module": key, "facts": {…}, "as_of": "2022-01-01",
// "clauses": [ids] | null, "validated": bool}]}, and writes one JSON result per case, one per line.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const request = JSON.parse(readFileSync(0, "utf-8"));
const modules = {};
for (const [key, path] of Object.entries(request.modules)) modules[key] = await import(pathToFileURL(path).href);
const out = [];
for (const c of request.cases) {
  try {
    const ev = modules[c.module].evaluate(c.facts, { asOf: c.as_of, clauses: c.clauses ?? null, validated: c.validated });
    out.push(JSON.stringify(ev));
  } catch (e) {
    out.push(JSON.stringify({ error: e.constructor.name, message: e.message, problems: e.problems ?? null }));
  }
}
process.stdout.write(out.join("\n") + "\n");
