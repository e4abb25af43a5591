// Runs JavaScript evaluators for pol's tests and `pol test --target js`: reads a JSON request on stdin,
// {"modules": {key: path}, "cases": [{"module": key, "facts": {…}, "as_of": "2022-01-01",
// "clauses": [ids] | null, "validated": bool}]}, and writes one JSON result per case, one per line; a case with
// "why_not": {"clause": id, "hint": {…}} gets the changes that would give more instead.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const request = JSON.parse(readFileSync(0, "utf-8"));
const modules = {};
for (const [key, path] of Object.entries(request.modules)) modules[key] = await import(pathToFileURL(path).href);
// The runtime the modules import (one copy, so its classes are theirs), for `whyNot`.
const rt = request.runtime ? await import(pathToFileURL(request.runtime).href) : null;
const out = [];
for (const c of request.cases) {
  try {
    if (c.why_not) {  // {"why_not": {"clause": id, "hint": {…}}}: what would change the answer, as the site computes it
      out.push(JSON.stringify(rt.whyNot(modules[c.module], c.facts, c.why_not.clause, c.why_not.hint, c.as_of)));
      continue;
    }
    const ev = modules[c.module].evaluate(c.facts, { asOf: c.as_of, clauses: c.clauses ?? null, validated: c.validated });
    out.push(JSON.stringify(ev));
  } catch (e) {
    out.push(JSON.stringify({ error: e.constructor.name, message: e.message, problems: e.problems ?? null }));
  }
}
process.stdout.write(out.join("\n") + "\n");
