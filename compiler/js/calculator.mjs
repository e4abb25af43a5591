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
function verdict(r, inputs = {}) {
  switch (r.status) {
    case "granted": return `应得 ${formatMoney(r.amount)}`;
    case "discretionary":
      if (r.minAmount !== null && r.minAmount.equals(r.maxAmount)) return `区间上下限均为 ${formatMoney(r.maxAmount)}，由主管部门确定`;
      return r.minAmount !== null ? `区间：${formatMoney(r.minAmount)} 至 ${formatMoney(r.maxAmount)}，由主管部门确定`
        : `最高可得 ${formatMoney(r.maxAmount)}，具体金额由主管部门确定`;
    case "case_by_case": return "一事一议" + (r.maxAmount !== null ? `，最高 ${formatMoney(r.maxAmount)}` : "");
    // The questions as the form asks them, not the facts' names in the policy file.
    case "needs_facts": return "尚缺信息：" + r.missing.map((name) => (inputs[name] && inputs[name].label) || name).join("、");
    case "expired": return "政策已失效";
    case "not_yet_effective": return "政策尚未施行";
    default: return "不符合条件";
  }
}

const INVALID = "请先改正上面标出的填写内容，再计算金额。";

function showResult(box, r, inputs) {
  box.replaceChildren(el("p", { class: `pol-verdict pol-${r.status}`, text: verdict(r, inputs) }),
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
    showResult(result, mod.evaluate(facts, { asOf, clauses: [clause], validated: true }).results[0], mod.INPUTS);
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
// Questions that narrow: where the enterprise is registered first, then only the facts of clauses still possible,
// the most decisive first (the facts the most remaining clauses wait on, choices before figures), three at a time.
// Results come from the first answer, above the answered questions; a question not known can be skipped.

const SHOWN = 3;  // questions asked at a time

async function selfCheck(node) {
  const config = JSON.parse(node.dataset.policies);  // [{slug, title, region, pages}] of the policies but drafts
  const loaded = await Promise.all(config.map(async (p) => ({ ...p, mod: await policy(p.slug) })));
  // One field per fact: shared by the policies that read it the same way, their own field otherwise.
  const uses = new Map();
  for (const p of loaded) {
    for (const names of Object.values(p.mod.CLAUSE_INPUTS)) {
      for (const name of names) {
        const spec = p.mod.INPUTS[name];
        const key = JSON.stringify([name, spec.kind, spec.currency, spec.area, spec.members]);
        if (!uses.has(key)) uses.set(key, { spec, policies: new Set() });
        uses.get(key).policies.add(p.slug);
      }
    }
  }
  const byName = new Map();
  for (const u of uses.values()) byName.set(u.spec.name, (byName.get(u.spec.name) || 0) + 1);
  const fields = [];
  let moved = false;  // a question was just answered or skipped: where the keyboard goes next
  const changed = () => { moved = true; ask(); render(); };
  for (const [key, u] of uses) {
    const spec = byName.get(u.spec.name) > 1
      ? { ...u.spec, label: `${u.spec.label}（${[...u.policies].map((s) => loaded.find((p) => p.slug === s).title).join("、")}）` }
      : u.spec;
    const f = { ...field(spec, render), policies: u.policies, key, skipped: false };
    // Text answers are taken into the order of questions when complete (on change), choices at once.
    f.control.addEventListener("change", changed);
    const skip = el("button", { type: "button", class: "pol-skip", text: "不知道，跳过" });
    skip.addEventListener("click", () => { f.skipped = true; changed(); });
    f.wrap.append(skip);
    fields.push(f);
  }
  const regions = [...new Set(loaded.map((p) => p.region).filter(Boolean))];
  const region = el("select", { id: "pol-region", name: "region" }, el("option", { value: "", text: "（全部地区）" }),
                    ...regions.map((r) => el("option", { value: r, text: r })));
  const regionWrap = el("div", { class: "pol-field" }, el("label", { for: "pol-region", text: "企业注册在哪个地区" }), region);
  region.addEventListener("change", changed);
  // The need, in the visitor's words (临床试验, 医疗器械 产业化, CDMO): clauses whose text has them ask first.
  const need = el("input", { id: "pol-need", name: "need", type: "text", autocomplete: "off",
                             "aria-describedby": "pol-need-hint" });
  const needWrap = el("div", { class: "pol-field" }, el("label", { for: "pol-need", text: "想申请哪方面的支持" }), need,
                      el("span", { class: "pol-hint", id: "pol-need-hint", text: "可写几个词，如：临床试验、医疗器械 产业化、房租" }));
  need.addEventListener("change", changed);
  /** How well a clause answers the need: 1000 when its title has every word, 100 its text, 10 some, else 1. */
  const wanted = (p, id) => {
    const words = need.value.split(/[\s,，、;；]+/).filter((w) => w.length > 1);
    const [title, text] = (p.about && p.about[id]) || ["", ""];
    const found = words.filter((w) => text.includes(w)).length;
    if (!words.length || !found) return 1;
    if (words.every((w) => title.includes(w))) return 1000;
    return found === words.length ? 100 : 10;
  };
  const day = dateField(changed);
  const questions = el("div", { class: "pol-questions" });
  const more = el("button", { type: "button", class: "pol-more" });
  const summary = el("p", { class: "pol-answered" });
  let showAll = false;
  more.addEventListener("click", () => { showAll = !showAll; ask(); });
  const results = el("div", { class: "pol-self-check-results", "aria-live": "polite" });
  const exportButton = el("button", { type: "button", class: "md-button", text: "导出为 JSON" });
  exportButton.addEventListener("click", () => {
    const { facts } = read(fields);
    // As `pol eval` and `pol match` read facts: a ratio with %, other figures in the input's own unit.
    const spec = (name) => fields.find((f) => f.spec.name === name).spec;
    const plain = Object.fromEntries(Object.entries(facts).map(([k, v]) => [k,
      typeof v !== "object" ? v : spec(k).kind === "ratio" ? `${v.mul(100).toString()}%` : v.toString()]));
    // An enterprise profile: `pol match` and `pol eval-profile` read it as it is, `pol eval` reads its facts.
    const profile = { enterprise: "政策计算器自查", regions: region.value ? [region.value] : [], facts: plain };
    const link = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(profile, null, 2)], { type: "application/json" })),
                           download: "facts.json" });
    link.click();
  });
  const form = el("form", { class: "pol-form", "aria-label": "企业情况" }, regionWrap, needWrap, questions, summary, more);
  form.addEventListener("submit", (e) => e.preventDefault());
  node.replaceChildren(form, results, el("div", { class: "pol-form pol-self-check-day" }, day.wrap), el("p", {}, exportButton));

  const answered = (f) => f.skipped || f.control.value.trim() !== "";
  const inRegion = (p) => !region.value || !p.region || p.region === region.value;

  /** Each policy's results for the facts so far (a policy whose facts do not read is left out). */
  function evaluations() {
    const out = [];
    for (const p of loaded) {
      if (!inRegion(p)) continue;
      const { facts, ok } = read(fields.filter((f) => f.policies.has(p.slug)));
      if (!ok) continue;
      out.push({ p, ev: p.mod.evaluate(facts, { asOf: day.value(), validated: true }) });
    }
    return out;
  }

  /** Show the next questions: those the most clauses still possible wait on, choices first. */
  function ask() {
    const weight = new Map();
    for (const { p, ev } of evaluations()) {
      for (const r of ev.results) {
        if (r.status !== "needs_facts") continue;
        const names = p.mod.CLAUSE_INPUTS[r.id] || [];
        // A clause waiting on a fact the visitor does not know cannot be decided: its questions wait too.
        if (r.missing.some((name) => fields.some((g) => g.skipped && g.spec.name === name && g.policies.has(p.slug)))) {
          continue;
        }
        for (const name of r.missing) {
          const f = fields.find((g) => g.spec.name === name && g.policies.has(p.slug));
          if (!f) continue;
          const first = names.indexOf(name) === 0 ? 2 : 1;  // a clause's first condition decides the most
          const choice = f.spec.kind === "enum" || f.spec.kind === "bool" ? 2 : 1;
          // The clauses of the need the visitor wrote come first; a clause one answer from decided, before others.
          const near = r.missing.length === 1 ? 5 : 1;
          weight.set(f, (weight.get(f) || 0) + first * choice * near * wanted(p, r.id));
        }
      }
    }
    const open = fields.filter((f) => !answered(f) && weight.has(f))
      .sort((a, b) => weight.get(b) - weight.get(a) || fields.indexOf(a) - fields.indexOf(b));
    const done = fields.filter((f) => answered(f));
    // Only the next questions are on screen, so the results stay near the top on a phone; the answered ones and
    // the rest on request. A hidden question takes no Tab stop.
    const shown = showAll ? [...done, ...open, ...fields.filter((f) => !answered(f) && !open.includes(f))]
      : open.slice(0, SHOWN);
    for (const f of fields) f.wrap.hidden = !shown.includes(f);
    questions.replaceChildren(...shown.map((f) => f.wrap));
    summary.textContent = done.length ? `已回答或跳过 ${done.length} 个问题。` : "";
    more.textContent = showAll ? "只显示接下来的问题" : `显示全部 ${fields.length} 个问题（可修改已回答的）`;
    const focused = document.activeElement;
    if (moved && (!focused || focused === document.body || focused.closest("[hidden]")) && shown.length) {
      shown[0].control.focus();  // an answer taken away from under the keyboard: on to the next question
    }
    moved = false;
  }

  function render() {
    if (!read(fields).ok) {  // no list beside a wrong entry: it would be for other facts
      results.replaceChildren(el("p", { class: "pol-verdict pol-invalid", text: INVALID }));
      return;
    }
    const groups = { auto: [], maybe: [], near: [], missing: [] };
    for (const { p, ev } of evaluations()) {
      for (const r of ev.results) {
        if (["not_eligible", "expired", "not_yet_effective"].includes(r.status)) continue;
        const mode = r.status === "granted" && p.mod.GRANT_MODES[r.id] === "exact" ? "auto"
          : r.status !== "needs_facts" ? "maybe" : r.missing.length === 1 ? "near" : "missing";
        groups[mode].push({ p, r });
      }
    }
    const item = ({ p, r }) => el("li", {},
      el("a", { href: new URL(`../policies/${p.slug}/${encodeURIComponent(p.pages[r.id] || r.id)}.html`, base).href,
                text: `${p.title} ${r.clause.article || ""} ${r.clause.title || r.id}` }),
      el("span", { class: `pol-verdict pol-${r.status}`, text: "：" + verdict(r, p.mod.INPUTS) }));
    const section = (title, items, kind) => items.length
      ? el("section", { class: kind }, el("h2", { text: `${title}（${items.length} 条）` }), el("ul", {}, ...items.map(item)))
      : null;
    results.replaceChildren(...[
      section("可免申即享：数据齐全，金额可直接计算", groups.auto, "pol-found"),
      section("可能符合：需申请，由主管部门审定", groups.maybe, "pol-found"),
      section("可能还能获得：再回答一个问题即可判断", groups.near, "pol-near"),
      section("尚缺信息：还需回答两个以上的问题", groups.missing, "pol-waiting"),
    ].filter(Boolean));
    if (!results.childElementCount) results.append(el("p", { text: "回答上面的问题，这里会列出可能获得的支持。" }));
  }
  ask();
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
