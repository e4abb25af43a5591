// The site's calculators: a form on every clause page (.pol-calculator) and the self-check page
// (#pol-self-check), both computed in the browser by the policies' own JavaScript evaluators.
// Nothing typed leaves the page: there is no request but for the site's own files.

import { readFact, formatMoney, whyNot } from "./pol_runtime.mjs";

const base = new URL("./", import.meta.url);
const modules = new Map();

function policy(slug) {
  if (!modules.has(slug)) modules.set(slug, import(new URL(`policies/${slug}.mjs`, base).href));
  return modules.get(slug);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

const UNITS = { CNY: "元", USD: "美元" };
const AREAS = { m2: "平方米", mu: "亩" };

function unitHint(spec) {
  switch (spec.kind) {
    case "money": return `${UNITS[spec.currency || "CNY"]}，可写 3000万、1.5亿`;
    case "money_per_area": return `${UNITS[spec.currency || "CNY"]}/${AREAS[spec.area || "m2"]}，如 3万元/${AREAS[spec.area || "m2"]}`;
    case "area": return AREAS[spec.area || "m2"];
    case "ratio": return "%，如 40%";
    case "years": return "年";
    case "number": return "个（整数）";
    case "date": return "日期，如 2022-06-30";
    default: return "";
  }
}

let counter = 0;

/** Today in China (the policies' time zone), as YYYY-MM-DD: what the calculators judge validity and amounts on. */
function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

/** The 申请日期 field: the day to evaluate on, today unless the visitor changes it. */
function dateField(onChange) {
  const id = `pol-f${++counter}`;
  const control = el("input", { id, name: "申请日期", type: "date", value: today(), autocomplete: "off" });
  control.addEventListener("input", onChange);
  control.addEventListener("change", onChange);
  const wrap = el("div", { class: "pol-field pol-date" }, el("label", { for: id, text: "申请日期" }), control,
                  el("span", { class: "pol-hint", text: "按此日期判断政策是否有效，默认为今天" }));
  return { control, wrap, value: () => control.value || today() };
}

/** One form field for an input: a choice for an enumeration or yes/no, a text box that reads 3000万 otherwise. */
function field(spec, onChange) {
  const id = `pol-f${++counter}`;
  const hint = unitHint(spec);
  const label = el("label", { for: id, text: spec.label });
  let control;
  if (spec.kind === "enum" || spec.kind === "bool") {
    control = el("select", { id, name: spec.name });
    control.append(el("option", { value: "", text: "（未填）" }));
    const values = spec.kind === "bool" ? ["是", "否"] : spec.members;
    const labels = spec.kind === "bool" ? ["是", "否"] : spec.memberLabels || spec.members;
    values.forEach((v, i) => control.append(el("option", { value: v, text: labels[i] })));
  } else {
    // A figure with 万 or 亿, a rate with %, money per area with /: a phone's decimal pad has none of them, so
    // only counts and years get it; the other fields keep the full keyboard.
    const pad = spec.kind === "number" || spec.kind === "years" ? "decimal" : null;
    control = el("input", { id, name: spec.name, type: spec.kind === "date" ? "date" : "text", inputmode: pad,
                            autocomplete: "off", "aria-describedby": `${id}-hint` });
    if (spec.default !== null && spec.default !== undefined) control.placeholder = "默认 " + String(spec.default);
  }
  const message = el("span", { class: "pol-field-error", id: `${id}-error`, role: "alert" });
  // A text box reports each keystroke as `input`; its `change` comes when it loses focus, as when the visitor
  // clicks a result: redrawing then would replace the link under the pointer, and the click would do nothing.
  control.addEventListener(control.tagName === "SELECT" ? "change" : "input", onChange);
  const wrap = el("div", { class: "pol-field" }, label, control,
                  hint ? el("span", { class: "pol-hint", id: `${id}-hint`, text: hint }) : null, message);
  return { spec, control, message, wrap };
}

/** The facts a set of fields holds, and each field's problem (shown beside it). */
function read(fields) {
  const facts = {};
  let ok = true;
  for (const f of fields) {
    const raw = f.control.value.trim();
    f.message.textContent = "";
    f.control.removeAttribute("aria-invalid");
    if (raw === "") continue;
    try {
      // The runtime reads figures as people type them (三千万, ３０００万, 800萬): nothing to convert here.
      facts[f.spec.name] = readFact(f.spec, f.spec.kind === "bool" ? raw === "是" : raw);
    } catch (e) {
      f.message.textContent = e.message;
      f.control.setAttribute("aria-invalid", "true");
      ok = false;
    }
  }
  return { facts, ok };
}

/** A result in words that keep 应得 (determined) apart from 最高可得, 区间 and 一事一议. */
function verdict(r) {
  switch (r.status) {
    case "granted": return `应得 ${formatMoney(r.amount)}`;
    case "discretionary":
      if (r.minAmount !== null && r.minAmount.equals(r.maxAmount)) return `区间上下限均为 ${formatMoney(r.maxAmount)}，由主管部门确定`;
      return r.minAmount !== null ? `区间：${formatMoney(r.minAmount)} 至 ${formatMoney(r.maxAmount)}，由主管部门确定`
        : `最高可得 ${formatMoney(r.maxAmount)}，具体金额由主管部门确定`;
    case "case_by_case": return "一事一议" + (r.maxAmount !== null ? `，最高 ${formatMoney(r.maxAmount)}` : "");
    case "needs_facts": return "尚缺信息：" + r.missing.join("、");
    case "expired": return "政策已失效";
    case "not_yet_effective": return "政策尚未施行";
    default: return "不符合条件";
  }
}

const INVALID = "请先改正上面标出的填写内容，再计算金额。";

function showResult(box, r) {
  box.replaceChildren(el("p", { class: `pol-verdict pol-${r.status}`, text: verdict(r) }),
                      el("ol", { class: "pol-steps" }, ...r.explanation.map((s) => el("li", { text: s }))));
}

async function clauseCalculator(node) {
  const mod = await policy(node.dataset.policy);
  const clause = node.dataset.clause;
  const fields = [];
  const result = el("div", { class: "pol-result", "aria-live": "polite" });
  const update = () => {
    const asOf = day.value();
    const { facts, ok } = read(fields);
    if (!ok) {  // no amount beside a wrong entry: the last one was computed from other facts
      result.replaceChildren(el("p", { class: "pol-verdict pol-invalid", text: INVALID }));
      return;
    }
    showResult(result, mod.evaluate(facts, { asOf, clauses: [clause], validated: true }).results[0]);
    // What would change the answer: the nearest change of one fact that gives more, computed by the rule itself.
    const changes = whyNot(mod, facts, clause, hint, asOf, true).slice(0, 3);
    if (changes.length) {
      result.append(el("p", { class: "pol-why-not-title", text: "怎样能得到更多" }),
                    el("ul", { class: "pol-why-not" }, ...changes.map((c) => el("li", { text: c.text }))));
    }
  };
  const hint = JSON.parse(node.dataset.whyNot || "{}");
  const day = dateField(update);
  for (const name of mod.CLAUSE_INPUTS[clause]) fields.push(field(mod.INPUTS[name], update));
  const form = el("form", { class: "pol-form", "aria-label": "计算器：填写情况，即时计算" },
                  ...fields.map((f) => f.wrap), day.wrap);
  form.addEventListener("submit", (e) => e.preventDefault());
  node.replaceChildren(el("p", { class: "pol-calculator-title", text: "计算器：填写您的情况，金额随输入即时计算" }), form, result);
  update();
}

// ---------------------------------------------------------------- the self-check page

async function selfCheck(node) {
  const config = JSON.parse(node.dataset.policies);  // [{slug, title, region, pages}] of the policies but drafts
  const loaded = await Promise.all(config.map(async (p) => ({ ...p, mod: await policy(p.slug) })));
  // One field per fact: shared by the policies that read it the same way, their own field otherwise.
  const fields = new Map();
  const uses = new Map();
  for (const p of loaded) {
    for (const [clause, names] of Object.entries(p.mod.CLAUSE_INPUTS)) {
      names.forEach((name, i) => {
        const spec = p.mod.INPUTS[name];
        const key = JSON.stringify([name, spec.kind, spec.currency, spec.area, spec.members]);
        if (!uses.has(key)) uses.set(key, { spec, policies: new Set(), weight: 0 });
        const u = uses.get(key);
        u.policies.add(p.slug);
        u.weight += i === 0 ? 3 : 1;  // a clause's first condition rules most out
      });
    }
  }
  const byName = new Map();
  for (const [key, u] of uses) byName.set(u.spec.name, (byName.get(u.spec.name) || 0) + 1);
  const region = el("select", { id: "pol-region", name: "region" }, el("option", { value: "", text: "（全部地区）" }),
                    ...[...new Set(loaded.map((p) => p.region).filter(Boolean))].map((r) => el("option", { value: r, text: r })));
  const results = el("div", { class: "pol-self-check-results", "aria-live": "polite" });
  const update = () => render();
  const ordered = [...uses.entries()].sort((a, b) => b[1].weight - a[1].weight);
  for (const [key, u] of ordered) {
    const spec = byName.get(u.spec.name) > 1
      ? { ...u.spec, label: `${u.spec.label}（${[...u.policies].map((s) => loaded.find((p) => p.slug === s).title).join("、")}）` }
      : u.spec;
    fields.set(key, { ...field(spec, update), policies: u.policies });
  }
  const exportButton = el("button", { type: "button", class: "md-button", text: "导出为 JSON" });
  exportButton.addEventListener("click", () => {
    const { facts } = read([...fields.values()]);
    // As `pol eval` and `pol match` read facts: a ratio with %, other figures in the input's own unit.
    const spec = (name) => [...fields.values()].find((f) => f.spec.name === name).spec;
    const plain = Object.fromEntries(Object.entries(facts).map(([k, v]) => [k,
      typeof v !== "object" ? v : spec(k).kind === "ratio" ? `${v.mul(100).toString()}%` : v.toString()]));
    // An enterprise profile: `pol match` and `pol eval-profile` read it as it is, `pol eval` reads its facts.
    const profile = { enterprise: "政策计算器自查", regions: region.value ? [region.value] : [], facts: plain };
    const link = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(profile, null, 2)], { type: "application/json" })),
                           download: "facts.json" });
    link.click();
  });
  const day = dateField(update);
  const form = el("form", { class: "pol-form", "aria-label": "企业情况" },
                  el("div", { class: "pol-field" }, el("label", { for: "pol-region", text: "所在地区" }), region),
                  ...[...fields.values()].map((f) => f.wrap), day.wrap);
  form.addEventListener("submit", (e) => e.preventDefault());
  region.addEventListener("change", update);
  node.replaceChildren(form, el("p", {}, exportButton), results);

  function render() {
    const groups = { auto: [], maybe: [], missing: [] };
    if (!read([...fields.values()]).ok) {  // no list beside a wrong entry: it would be for other facts
      results.replaceChildren(el("p", { class: "pol-verdict pol-invalid", text: INVALID }));
      return;
    }
    for (const p of loaded) {
      if (region.value && p.region && p.region !== region.value) continue;
      const own = [...fields.values()].filter((f) => f.policies.has(p.slug));
      const { facts, ok } = read(own);
      if (!ok) continue;
      const ev = p.mod.evaluate(facts, { asOf: day.value(), validated: true });
      for (const r of ev.results) {
        if (["not_eligible", "expired", "not_yet_effective"].includes(r.status)) continue;
        const mode = r.status === "granted" && p.mod.GRANT_MODES[r.id] === "exact" ? "auto"
          : r.status === "needs_facts" ? "missing" : "maybe";
        groups[mode].push({ p, r });
      }
    }
    const section = (title, items) => items.length ? el("section", {},
      el("h2", { text: `${title}（${items.length} 条）` }),
      el("ul", {}, ...items.map(({ p, r }) => el("li", {},
        el("a", { href: new URL(`../policies/${p.slug}/${encodeURIComponent(p.pages[r.id] || r.id)}.html`, base).href,
                  text: `${p.title} ${r.clause.article || ""} ${r.clause.title || r.id}` }),
        el("span", { class: `pol-verdict pol-${r.status}`, text: "：" + verdict(r) }))))) : null;
    results.replaceChildren(
      section("可免申即享：数据齐全，金额可直接计算", groups.auto) || document.createTextNode(""),
      section("可能符合：需申请，由主管部门审定", groups.maybe) || document.createTextNode(""),
      section("尚缺信息", groups.missing) || document.createTextNode(""));
  }
  render();
}

for (const node of document.querySelectorAll(".pol-calculator")) clauseCalculator(node);
for (const node of document.querySelectorAll("#pol-self-check")) selfCheck(node);

// A table wider than the screen (a phone, 390 px) scrolls sideways in the theme's frame; mark it, so the
// stylesheet can say so above it, and look again when the window changes size.
function markWideTables() {
  for (const wrap of document.querySelectorAll(".md-typeset__scrollwrap")) {
    wrap.classList.toggle("pol-wide", wrap.scrollWidth > wrap.clientWidth + 1);
  }
}
// The theme wraps tables in their frames from its own script, after this one runs: look once it has.
if (typeof window.document$ !== "undefined") window.document$.subscribe(() => setTimeout(markWideTables, 0));
window.addEventListener("load", markWideTables);
window.addEventListener("resize", markWideTables);
