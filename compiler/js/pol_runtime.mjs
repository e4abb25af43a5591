// The runtime of generated JavaScript evaluators: the twin of pol's Python runtime (compiler/runtime.py).
//
// Same exact arithmetic (decimal.js, 50 significant digits, half up), same rounding (a clause's amount
// once, to the fen, half up), same statuses, same Chinese explanation text and same JSON shape:
// the differential tests compare the two byte for byte. It needs no bundler: an ES module that runs
// in current browsers and in Node 18 or later, beside decimal.mjs (decimal.js 10.6.0, MIT licence).

import { Decimal } from "./decimal.mjs";

export const RUNTIME_VERSION = 1;
// Every computation is exact; the rare division is carried to 50 significant digits, half up.
const Dec = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -100, toExpPos: 100 });
export const D = (text) => new Dec(text);
const ZERO = D(0);
const WAN = D(10000);
const YI = D(100000000);

export const STATUS_TEXT = {
  granted: "予以支持",
  not_eligible: "不符合条件",
  discretionary: "由主管部门在上限内确定",
  case_by_case: "一事一议",
  needs_facts: "需补充信息",
  expired: "政策已失效",
  not_yet_effective: "政策尚未施行",
};

export const MAX_VALUE = D("1e15");
export const MAX_PLACES = 6;
export const MAX_TEXT = 64;

// ---------------------------------------------------------------- errors and unknowable values

/** A fact the clause needs is not given. */
export class Missing extends Error {
  constructor(name) { super(name); this.name_ = name; }
}
/** No row of a table or tier applies: the clause gives nothing. */
export class NoRow extends Error {}
/** The facts make a computation impossible (a division by zero). */
export class Undefined extends Error {}
/** A definition the facts make impossible: any use of it raises Undefined with the reason. */
export class Unknowable {
  constructor(reason) { this.reason = reason; }
}
/** Facts that do not fit the policy's inputs; `problems` names each bad field. */
export class FactsError extends Error {
  constructor(problems) { super(problems.join("; ")); this.problems = problems; }
}

function known(value) {
  if (value instanceof Unknowable) throw new Undefined(value.reason);
  return value;
}

/** A fact by name; a missing one raises Missing, which the clause turns into "需补充". */
export function F(f, name) {
  if (!Object.prototype.hasOwnProperty.call(f, name)) throw new Missing(name);
  return f[name];
}

const isDec = (v) => Decimal.isDecimal(v);

/** Equality as Python's `==` reads it: numbers by value, everything else as it is. */
export function eq(a, b) {
  known(a); known(b);
  if (isDec(a) && isDec(b)) return a.equals(b);
  return a === b;
}

export function cmp(a, op, b) {
  known(a); known(b);
  if (op === "==") return eq(a, b);
  if (op === "!=") return !eq(a, b);
  const c = isDec(a) ? a.comparedTo(b) : a < b ? -1 : a > b ? 1 : 0;
  switch (op) {
    case ">=": return c >= 0;
    case ">": return c > 0;
    case "<=": return c <= 0;
    case "<": return c < 0;
  }
  throw new Error(`unknown comparison ${op}`);
}

export function isIn(value, options) {
  known(value);
  return options.some((o) => eq(value, o));
}

// ---------------------------------------------------------------- quantities: formatting

export const CURRENCY_NAMES = { CNY: "元", USD: "美元" };
export const AREA_NAMES = { m2: "平方米", mu: "亩" };

function plain(value) {
  let text = value.toFixed();
  if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  if (text === "-0") text = "0";
  return text || "0";
}

function scaled(value, unit) {
  const q = value.div(unit);
  return q.equals(q.toDecimalPlaces(4)) ? plain(q) : null;
}

export function formatMoney(value, currency = "CNY") {
  const name = CURRENCY_NAMES[currency || "CNY"];
  const magnitude = value.abs();
  let text;
  if (magnitude.gte(YI) && (text = scaled(value, YI)) !== null) return `${text}亿${name}`;
  if (magnitude.gte(WAN) && (text = scaled(value, WAN)) !== null) return `${text}万${name}`;
  return `${plain(value)}${name}`;
}

export function formatQuantity(value, kind, currency = null, area = null) {
  switch (kind) {
    case "money": return formatMoney(value, currency);
    case "money_per_area": return `${formatMoney(value, currency)}/${AREA_NAMES[area || "m2"]}`;
    case "area": return `${plain(value)}${AREA_NAMES[area || "m2"]}`;
    case "ratio": return `${plain(value.mul(100))}%`;
    case "years": return `${plain(value)}年`;
    case "number": return plain(value);
    case "bool": return value ? "是" : "否";
    case "date": return value;
    default: return String(value);
  }
}

export const formatValue = (value, unit) => formatQuantity(value, unit[0], unit[1], unit[2]);

// ---------------------------------------------------------------- explanation traces

/** The steps of one clause's evaluation, recorded cheaply and written out in Chinese only when asked. */
export class Trace {
  constructor(quiet = false) { this.steps = []; this.quiet = quiet; }
  push(step) { if (!this.quiet) this.steps.push(step); }
  cond(ok, text, shown, facts) { this.push(["cond", ok, text, shown, facts]); return ok; }
  op(sym, r, a, b, da, db, unit) { this.push(["op", sym, a, b, r, da, db, unit]); return r; }
  mul(a, b, da, db, unit) { known(a); known(b); return this.op("×", a.mul(b), a, b, da, db, unit); }
  add(a, b, da, db, unit) { known(a); known(b); return this.op("+", a.add(b), a, b, da, db, unit); }
  sub(a, b, da, db, unit) {
    known(a); known(b);
    return b.isZero() ? a.sub(b) : this.op("−", a.sub(b), a, b, da, db, unit);  // deducting nothing is no step
  }
  div(a, b, da, db, unit) {
    known(a); known(b);
    if (b.isZero()) throw new Undefined(`${described(b, db, unit)}，不能作除数，无法计算`);
    return this.op("÷", a.div(b), a, b, da, db, unit);
  }
  every(a, b, da, db, unit) {
    known(a); known(b);
    const r = wholeSteps(a, b, db);
    this.push(["every", a, b, r, da, db]);
    return r;
  }
  extreme(kind, values, labels, unit) {
    values.forEach(known);
    let r = values[0];
    for (const v of values) if (kind === "least" ? v.lt(r) : v.gt(r)) r = v;
    const i = values.findIndex((v) => v.equals(r));
    if (i) this.push([kind, values[0], labels[0], r, labels[i], unit]);
    return r;
  }
  least(values, labels, unit) { return this.extreme("least", values, labels, unit); }
  most(values, labels, unit) { return this.extreme("most", values, labels, unit); }
  row(keyLabel, key, keyUnit, value, unit) { this.push(["row", keyLabel, key, keyUnit, value, unit]); return value; }
  tier(number, text, value, unit) { this.push(["tier", number, text, value, unit]); return value; }
  cap(amount, limit, label, worked = null) {
    if (limit.lt(0)) limit = ZERO;
    if (amount.gt(limit)) {
      if (worked !== null) this.steps.push(...worked.steps);
      this.push(["cap", amount, limit, label]);
      return limit;
    }
    return amount;
  }
  offset(amount, paid, label, kind) {
    let r = amount.sub(paid);
    if (r.lt(0)) r = ZERO;
    this.push(["offset", amount, paid, r, label, kind]);
    return r;
  }
  note(text) { this.push(["note", text]); }
  lines() { return this.steps.map(explain); }
}

/** How many whole steps `b` the quantity `a` holds (每满/每增加): none when `a` is not above zero. */
function wholeSteps(a, b, db) {
  if (b.lte(0)) throw new Undefined(`${described(b, db, db[1])}，不能作为“每满”的步长，无法计算`);
  return a.gt(0) ? a.divToInt(b) : ZERO;
}

// A trace that computes like any other but keeps no steps: for values explained by their label alone.
export const QUIET = new Trace(true);

function described(value, desc, unit) {
  const [label, vunit] = desc;
  const text = formatValue(value, vunit || unit);
  return label ? `${label} ${text}` : text;
}

function explain(step) {
  const kind = step[0];
  if (kind === "cond") {
    const [, ok, text, shown, values] = step;
    const facts = shown.filter(([label]) => Object.prototype.hasOwnProperty.call(values, label))
      .map(([label, u]) => `${label}为${formatValue(values[label], u)}`).join("，");
    const verdict = ok ? "符合" : "不符合";
    return facts ? `${facts}：${verdict}“${text}”` : `${verdict}“${text}”`;
  }
  if (kind === "op") {
    const [, sym, a, b, r, da, db, unit] = step;
    return `${described(a, da, unit)} ${sym} ${described(b, db, unit)} = ${formatValue(r, unit)}`;
  }
  if (kind === "every") {
    const [, a, b, r, da, db] = step;
    return `${described(a, da, da[1])} 每满 ${described(b, db, db[1])}，计 ${r.toFixed()} 份`;
  }
  if (kind === "least" || kind === "most") {
    const [, first, firstLabel, r, label, unit] = step;
    const word = kind === "least" ? "超过" : "低于";
    return `${described(first, firstLabel, unit)}${word}${described(r, label, unit)}，按 ${formatValue(r, unit)} 计`;
  }
  if (kind === "row") {
    const [, keyLabel, key, keyUnit, value, unit] = step;
    return `${keyLabel}为${formatValue(key, keyUnit)}，适用 ${formatValue(value, unit)}`;
  }
  if (kind === "tier") {
    const [, number, text, value, unit] = step;
    return `符合第${number}档“${text}”，适用 ${formatValue(value, unit)}`;
  }
  if (kind === "cap") {
    const [, amount, limit, label] = step;
    return `${formatMoney(amount)} 超过${label} ${formatMoney(limit)}，按 ${formatMoney(limit)} 计`;
  }
  if (kind === "offset") {
    const [, amount, paid, r, label, how] = step;
    const principle = how === "topup" ? "按照晋级补差原则，" : "";
    return `${principle}${formatMoney(amount)} 扣除${label} ${formatMoney(paid)}，为 ${formatMoney(r)}`;
  }
  if (kind === "note") return step[1];
  return String(step);
}

// ---------------------------------------------------------------- inputs and facts

export class Input {
  constructor(name, kind, currency, area, label, members = null, defaultValue = null, memberLabels = null, ordinal = false) {
    Object.assign(this, { name, kind, currency, area, label, members, default: defaultValue, memberLabels, ordinal });
  }
}

const QUANTITY_KINDS = new Set(["money", "money_per_area", "area", "ratio", "years", "number"]);

/** Already validated facts (decimals may be given as strings), with every declared default added. */
// An input by name, only if the policy declares it: `toString` or `__proto__` is no input of any policy.
const inputOf = (inputs, name) => (Object.hasOwn(inputs, name) ? inputs[name] : undefined);

export function withDefaults(inputs, facts) {
  const out = Object.create(null);  // facts named like Object's own properties stay plain facts
  for (const [name, value] of Object.entries(facts)) {
    const spec = inputOf(inputs, name);
    out[name] = spec && QUANTITY_KINDS.has(spec.kind) && !isDec(value) ? D(value) : value;
  }
  for (const [name, spec] of Object.entries(inputs)) {
    if (spec.default !== null && !(name in out)) out[name] = spec.default;
  }
  return out;
}

const MULTIPLIERS = { "": 1, "万": 10000, "亿": 100000000, "千万": 10000000, "百万": 1000000 };
const CURRENCIES = { "元": "CNY", "美元": "USD" };
const AREA_SPELLINGS = { "平方米": "m2", "㎡": "m2", "m²": "m2", "m2": "m2", "亩": "mu" };
const PER_YEAR = { "年": 1, "月": 12, "天": 365, "日": 365 };
const NUMBER = /^[0-9]+(?:\.[0-9]+)?/;
const SUFFIX = /^(千万|百万|万|亿)?(美元|元)?(?:\/(平方米|㎡|m²|m2|亩)(?:[·/](年|月|天|日))?)?(%|％|平方米|㎡|m²|m2|亩|年)?$/;

// Chinese and financial numerals (三千万, 一亿五千万, 壹佰万, 十二点五, 百分之四十): the same strict pattern as
// the Python runtime's CN_NUMBER (a test holds them equal), so both runtimes and the schema read alike.
const CN_DIGITS = { 零: 0, 〇: 0, 一: 1, 壹: 1, 二: 2, 贰: 2, 两: 2, 三: 3, 叁: 3, 四: 4, 肆: 4, 五: 5, 伍: 5,
                    六: 6, 陆: 6, 七: 7, 柒: 7, 八: 8, 捌: 8, 九: 9, 玖: 9 };
const CN_POWERS = { 十: 10n, 拾: 10n, 百: 100n, 佰: 100n, 千: 1000n, 仟: 1000n };
const CN_D = "[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖]";
const CN_SECTION = `(?:${CN_D}[千仟])?(?:零?${CN_D}[百佰])?(?:零?${CN_D}?[十拾])?(?:零?${CN_D})?`;
export const CN_NUMBER = `(?=[十拾]|${CN_D})(?:${CN_SECTION}亿)?(?:${CN_SECTION}万)?${CN_SECTION}(?:点${CN_D}+)?`;
const CN_FIGURE = new RegExp(`^(百分之)?(?:(${CN_NUMBER})(?![0-9.])|([0-9]+(?:\\.[0-9]+)?))`);

/** The value of a Chinese numeral matching CN_NUMBER, as decimal text: 一亿五千万 → "150000000". */
export function cnNumber(numeral) {
  const [whole, decimals = ""] = numeral.split("点");
  let total = 0n, section = 0n, digit = null;
  for (const ch of whole) {
    if (ch in CN_DIGITS) digit = BigInt(CN_DIGITS[ch]);
    else if (ch in CN_POWERS) { section += (digit ?? 1n) * CN_POWERS[ch]; digit = null; }
    else if (ch === "万") { total += (section + (digit ?? 0n)) * 10000n; section = 0n; digit = null; }
    else { total = (total + section + (digit ?? 0n)) * 100000000n; section = 0n; digit = null; }  // 亿
  }
  const digits = [...decimals].map((c) => CN_DIGITS[c]).join("");
  return `${total + section + (digit ?? 0n)}${digits ? "." + digits : ""}`;
}

/** A quantity as people type it, made plain: NFKC, 萬 and 億, 3,000万, 1 亿元, and Chinese numerals. */
export function normaliseText(raw) {
  let text = raw.normalize("NFKC").trim().replace(/萬/g, "万").replace(/億/g, "亿");
  const m = CN_FIGURE.exec(text);
  if (m && (m[2] || (m[1] && m[3]))) text = (m[2] ? cnNumber(m[2]) : m[3]) + (m[1] ? "%" : "") + text.slice(m[0].length);
  return text.replace(/(?<=[0-9]),(?=[0-9]{3}(?![0-9]))/g, "").replace(/(?<=[0-9])\s+(?=[^0-9\s])/g, "");
}

/** A quantity as people type it (３０００万, 3,000万, 三千万, 50元/平方米·月), in base units, or an Error. */
export function parseQuantityText(raw) {
  const text = normaliseText(raw);
  const m = NUMBER.exec(text);
  if (!m) throw new Error(/^[-−][0-9]/.test(text) ? `不能为负数：“${raw}”` : `“${raw}”不是数字`);
  const number = D(m[0]);
  const s = SUFFIX.exec(text.slice(m[0].length));
  if (!s) throw new Error(`“${raw}”的单位无法识别；可用 元、万元、亿元、美元、%、平方米、亩、年，或 万元/亩 这样的单价`);
  const [, mult = "", cur, per, time, tail] = s;
  const value = number.mul(MULTIPLIERS[mult]);
  const isMoney = Boolean(mult || cur);
  if (per) {
    if (!isMoney || tail) throw new Error(`“${raw}”：只有金额可以按面积计，如 3万元/亩`);
    return [value.mul(PER_YEAR[time || "年"]), "money_per_area", CURRENCIES[cur || "元"], AREA_SPELLINGS[per]];
  }
  if (tail === undefined) return isMoney ? [value, "money", CURRENCIES[cur || "元"], null] : [value, "number", null, null];
  if (isMoney) throw new Error(`“${raw}”把金额和“${tail}”混在一起`);
  if (tail === "%" || tail === "％") return [number.div(100), "ratio", null, null];
  if (tail === "年") return [number, "years", null, null];
  return [number, "area", null, AREA_SPELLINGS[tail]];
}

function bounded(value, raw) {
  if (value.abs().gte(MAX_VALUE) || value.decimalPlaces() > MAX_PLACES) {
    throw new Error(`“${raw}”超出范围：只能读 1000万亿以下、最多 ${MAX_PLACES} 位小数的数`);
  }
  if (value.isNeg() && !value.isZero()) throw new Error(`不能为负数：“${raw}”`);
  return value.abs();
}

/** One raw fact converted to its value, or an Error saying, in Chinese, what is wrong with it. */
export function readFact(spec, raw) {
  if (typeof raw === "string" && raw.length > MAX_TEXT) throw new Error("内容太长，不像一个值");
  if (spec.kind === "bool") {
    if (typeof raw === "boolean") return raw;
    if (raw === "是" || raw === "否") return raw === "是";
    throw new Error("请填写 是 或 否");
  }
  if (spec.kind === "enum") {
    const plainText = typeof raw === "string" ? raw.normalize("NFKC").trim() : raw;
    if (spec.members.includes(plainText)) return plainText;
    throw new Error(`请从 ${spec.members.join("、")} 中选择`);
  }
  if (spec.kind === "date") {
    if (typeof raw === "string" && /^\d{4}-\d{2}-\d{2}$/.test(raw) && !isNaN(Date.parse(raw))) return raw;
    throw new Error("请填写日期，如 2021-11-01");
  }
  let value;
  if (isDec(raw)) value = raw;
  else if (typeof raw === "number" && Number.isSafeInteger(raw) && spec.kind !== "ratio") value = D(raw);
  else if (typeof raw === "string") {
    const [v, kind, currency, area] = parseQuantityText(raw);
    let cur = currency;
    if ((spec.kind === "money" || spec.kind === "money_per_area") && cur !== spec.currency && !raw.includes("元")) {
      cur = spec.currency; // a bare figure is in the input's currency
    }
    if (kind === "number") {
      if (spec.kind === "ratio") throw new Error("比例请带 %，如 40%");
    } else if ((kind !== spec.kind || cur !== spec.currency || area !== spec.area) &&
               !(spec.kind === "number" && kind === "years")) {
      throw new Error(`单位不对：应填 ${formatQuantity(D(1), spec.kind, spec.currency, spec.area).replace(/^1/, "") || "数字"}`);
    }
    value = v;
  } else {
    throw new Error("请填写数值");
  }
  value = bounded(value, raw);
  if (spec.kind === "number" && !value.isInteger()) throw new Error("请填写整数");
  if (spec.ordinal && value.lt(1)) throw new Error("名次从 1 起计（第一名为 1）");
  return value;
}

/** A clause id asked for that the policy does not have. */
export class UnknownClauseError extends Error {
  constructor(id, policy) {
    super(`${id}: no such clause in ${policy}`);
    Object.assign(this, { name: "UnknownClauseError", clauseId: id, policy });
  }
}

/** The clause ids asked for (one id, or several), each checked to be the policy's; null for every clause. */
export function selectClauses(all, clauses, policy) {
  if (clauses === null) return null;
  const wanted = typeof clauses === "string" ? [clauses] : [...clauses];
  const ids = new Set(all.map(([clause]) => clause.id));
  for (const id of wanted) if (!ids.has(id)) throw new UnknownClauseError(id, policy);
  return new Set(wanted);
}

/** Validate and convert an applicant's facts; throws FactsError naming every bad field at once. */
export function readFacts(inputs, raw) {
  const facts = Object.create(null);
  const problems = [];
  for (const [name, value] of Object.entries(raw)) {
    const spec = inputOf(inputs, name);
    if (!spec) { problems.push(`${name}：不是本政策的输入`); continue; }
    if (value === null || value === undefined || value === "") continue;
    try { facts[name] = readFact(spec, value); } catch (e) { problems.push(`${name}（${spec.label}）：${e.message}`); }
  }
  if (problems.length) throw new FactsError(problems);
  return withDefaults(inputs, facts);
}

// ---------------------------------------------------------------- results

const CASH = [null, "资金"];
const FEN = 2;
const money = (v) => (v === null ? null : v.toFixed(FEN, Decimal.ROUND_HALF_UP));

export class Clause {
  constructor(id, article, title, beneficiary, support, line, parties = []) {
    Object.assign(this, { id, article, title, beneficiary, support, line, parties });
  }
}

export class ClauseResult {
  constructor(clause, status, trace, amount = null, maxAmount = null, minAmount = null, missing = []) {
    Object.assign(this, { clause, status, trace, amount, maxAmount, minAmount, missing });
  }
  get id() { return this.clause.id; }
  get explanation() {
    const lines = this.trace.lines();
    if (this.status === "needs_facts") lines.push("需补充：" + this.missing.join("、"));
    else if (this.status === "granted" && this.amount !== null) lines.push(`应得 ${formatMoney(this.amount)}`);
    else if (this.status === "discretionary") {
      if (this.minAmount !== null && this.maxAmount !== null && this.minAmount.equals(this.maxAmount)) {
        // A range whose both ends the cap cuts to one figure: not "在 1000万元 至 1000万元 之间".
        lines.push(`区间上下限均为 ${formatMoney(this.maxAmount)}，由主管部门确定`);
      } else if (this.minAmount !== null && this.maxAmount !== null) {
        lines.push(`由主管部门在 ${formatMoney(this.minAmount)} 至 ${formatMoney(this.maxAmount)} 之间确定`);
      } else if (this.maxAmount !== null) lines.push(`最高 ${formatMoney(this.maxAmount)}，具体金额由主管部门确定`);
    } else if (this.status === "case_by_case") {
      const top = this.maxAmount !== null ? `，最高 ${formatMoney(this.maxAmount)}` : "";
      lines.push(`采取“一事一议”方式确定${top}`);
    }
    if (this.clause.parties.length && (this.status === "granted" || this.status === "discretionary")) {
      lines.push(this.clause.parties.join("、") + "各自按此计算");
    }
    return lines;
  }
  toJSON() {
    const c = this.clause;
    return {
      id: c.id, article: c.article, title: c.title, status: this.status,
      amount: money(this.amount), max_amount: money(this.maxAmount), min_amount: money(this.minAmount),
      beneficiary: c.beneficiary, parties: [...c.parties], support: c.support, missing: [...this.missing],
      explanation: this.explanation,
    };
  }
}

/** Round the computed amount to the fen and give it the status its grant mode calls for. */
export function finish(clause, trace, mode, amount, low = null) {
  if (amount !== null) amount = amount.toDecimalPlaces(FEN, Decimal.ROUND_HALF_UP);
  if (low !== null) {
    low = low.toDecimalPlaces(FEN, Decimal.ROUND_HALF_UP);
    if (amount !== null && low.gt(amount)) low = amount;
  }
  if (mode === "exact") return new ClauseResult(clause, "granted", trace, amount, amount);
  if (mode === "case_by_case") return new ClauseResult(clause, "case_by_case", trace, null, amount);
  return new ClauseResult(clause, "discretionary", trace, null, amount, low);
}

/** The inputs behind missing names: a missing definition stands for the inputs it is computed from. */
export function underlying(missing, letInputs) {
  const out = new Set();
  for (const name of missing) for (const n of letInputs[name] || [name]) out.add(n);
  return out;
}

export function outOfForce(clause, standing) {
  const [status, reason] = standing;
  const trace = new Trace();
  trace.note(reason);
  return new ClauseResult(clause, status, trace);
}

export const notEligible = (clause, trace) => new ClauseResult(clause, "not_eligible", trace);

export function needsFacts(clause, trace, missing) {
  // Sorted by code point, as Python sorts strings.
  const sorted = [...new Set(missing)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return new ClauseResult(clause, "needs_facts", trace, null, null, null, sorted);
}

export class Limit {
  constructor(amount, clauses, label) { Object.assign(this, { amount, clauses, label }); }
}

/** Every clause's result for one applicant, and the totals after the document's limits. */
export class Evaluation {
  constructor(policy, title, asOf, results, limits) {
    Object.assign(this, { policy, title, asOf, results, limits, notes: [] });
    const offered = results.filter((r) => (r.status === "granted" || r.status === "discretionary") && r.maxAmount !== null);
    const cash = offered.filter((r) => CASH.includes(r.clause.support));
    const determined = new Map(cash.filter((r) => r.status === "granted" && r.amount !== null).map((r) => [r.id, r.amount]));
    const maximum = new Map(cash.map((r) => [r.id, r.maxAmount]));
    for (const lim of limits) {
      if (lim.amount.lt(0)) this.notes.push(`${lim.label}：已获金额已超过上限，余额为 ${formatMoney(lim.amount)}，按 0元 计`);
    }
    this.determined = this.limited(determined, "确定金额");
    this.maximum = this.limited(maximum, "最高金额");
    this.inKind = {};
    for (const r of offered) {
      if (!CASH.includes(r.clause.support)) this.inKind[r.clause.support] = (this.inKind[r.clause.support] || ZERO).add(r.maxAmount);
    }
    for (const [kind, amount] of Object.entries(this.inKind)) this.notes.push(`另有${kind} ${formatMoney(amount)}（最高），不计入资金合计`);
  }
  // Limits are nested or apart (the checker refuses limits that partly overlap) and apply innermost first:
  // a cut counts against every limit containing its clauses, and a used-up limit leaves 0, never less.
  limited(amounts, what) {
    let total = [...amounts.values()].reduce((a, b) => a.add(b), ZERO);
    const breadth = (lim) => (lim.clauses === null ? Infinity : lim.clauses.length);
    const within = (inner, outer) => outer === null || (inner !== null && inner.every((k) => outer.includes(k)));
    const cuts = [];
    const ordered = this.limits.map((lim, i) => [lim, i]).sort((a, b) => breadth(a[0]) - breadth(b[0]) || a[1] - b[1]);
    for (const [lim] of ordered) {
      const covered = [...amounts].filter(([k]) => lim.clauses === null || lim.clauses.includes(k)).map(([, v]) => v);
      let subtotal = covered.reduce((a, b) => a.add(b), ZERO);
      for (const [inner, cut] of cuts) if (within(inner, lim.clauses)) subtotal = subtotal.sub(cut);
      const room = lim.amount.lt(0) ? ZERO : lim.amount;
      if (subtotal.gt(room)) {
        cuts.push([lim.clauses, subtotal.sub(room)]);
        total = total.sub(subtotal.sub(room));
        this.notes.push(`${what}合计 ${formatMoney(subtotal)} 超过${lim.label} ${formatMoney(room)}，按 ${formatMoney(room)} 计`);
      }
    }
    return total;
  }
  result(id) { return this.results.find((r) => r.id === id); }
  toJSON() {
    return {
      policy: this.policy, title: this.title, as_of: this.asOf,
      clauses: this.results.map((r) => r.toJSON()),
      totals: {
        determined: money(this.determined), maximum: money(this.maximum),
        in_kind: Object.fromEntries(Object.entries(this.inKind).map(([k, v]) => [k, money(v)])),
        explanation: [...this.notes],
      },
    };
  }
}

/** null when the policy is in force on `asOf` (ISO dates compare as strings); else its status and why. */
export function inForce(asOf, effective, expires) {
  if (effective !== null && asOf < effective) return ["not_yet_effective", `政策自 ${effective} 起施行，${asOf} 尚未施行`];
  if (expires !== null && asOf > expires) return ["expired", `政策有效期至 ${expires}，${asOf} 已失效`];
  return null;
}

/** Today's date in ISO form, in the reader's own time zone. */
export function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The smallest of several amounts, as Python's min gives it (the first of equals); no step recorded. */
export function least1(values) {
  values.forEach(known);
  return values.reduce((a, b) => (b.lt(a) ? b : a));
}

// ---------------------------------------------------------------- what would change the answer
// The same search as compiler/evaluate/why_not.py, step for step, so both give the same changes in the same order.

const NUMERIC = new Set(["money", "money_per_area", "area", "ratio", "years", "number"]);
const WHY_STEP = { money: "0.01", money_per_area: "0.01", area: "0.01", ratio: "0.0001", years: "1", number: "1" };
const MOST_STEP = { money: "1", money_per_area: "1", area: "1", number: "1" };
const HIGHEST = D("1e13");
const PLATEAU = D("1e10");
const places = (step) => Math.max(0, -D(step).e);

const worth = (r) => {
  const v = r.status === "granted" ? r.amount : r.maxAmount;
  return v === null || v === undefined ? D(0) : v;
};
const offered = (r) => r.status === "granted" || r.status === "discretionary";
const better = (r, base) => offered(r) && (!offered(base) || worth(r).gt(worth(base)));

/** The nearest change of each fact that makes `clause` give more than it does for `raw`, nearest first. */
export function whyNot(module, raw, clause, hint, asOf = null, validated = false) {
  let facts;
  try {
    facts = validated ? withDefaults(module.INPUTS, raw) : readFacts(module.INPUTS, raw);
  } catch (e) { if (e instanceof FactsError) return []; throw e; }
  const run = (name = null, value = null) => {
    const varied = name === null ? facts : Object.assign(Object.create(null), facts, { [name]: value });
    return module.evaluate(varied, { asOf, clauses: [clause], validated: true }).results[0];
  };
  const base = run();
  if (!["granted", "discretionary", "not_eligible"].includes(base.status)) return [];
  const order = Object.keys(module.INPUTS);
  const found = [];
  const thresholds = hint.thresholds || {};
  const every = hint.every || {};
  const named = [...new Set([...Object.keys(thresholds), ...Object.keys(every)])];
  for (const name of named.sort((a, b) => order.indexOf(a) - order.indexOf(b))) {
    const spec = module.INPUTS[name];
    const value = facts[name];
    if (!(value instanceof Dec)) continue;
    const step = D(WHY_STEP[spec.kind]);
    const seen = new Set();
    const candidates = [];
    const add = (c) => {
      const key = c.toString();
      if (c.gte(0) && !c.eq(value) && !seen.has(key)) { seen.add(key); candidates.push(c); }
    };
    for (const t of (thresholds[name] || []).map(D)) for (const c of [t.minus(step), t, t.plus(step)]) add(c);
    for (const e of (every[name] || []).map(D)) add(value.div(e).floor().plus(1).mul(e));  // 每满: one step more
    candidates.sort((a, b) => a.minus(value).abs().cmp(b.minus(value).abs()) || a.cmp(b));
    for (const to of candidates) {
      const result = run(name, to);
      if (better(result, base)) { found.push([distance(value, to, step), order.indexOf(name), change(spec, "threshold", value, to, result)]); break; }
    }
  }
  if (base.status === "granted") {
    for (const name of (hint.bases || []).filter((n) => Object.hasOwn(module.INPUTS, n)).sort((a, b) => order.indexOf(a) - order.indexOf(b))) {
      const spec = module.INPUTS[name];
      const value = facts[name];
      if (!(value instanceof Dec) || value.gte(HIGHEST)) continue;
      const top = run(name, HIGHEST);
      if (!(top.status === "granted" && worth(top).gt(worth(base)))) continue;
      if (!worth(run(name, Dec.max(PLATEAU, value))).eq(worth(top))) continue;
      const step = D(MOST_STEP[spec.kind]);
      let lo = value, hi = HIGHEST;
      while (hi.minus(lo).gt(step)) {
        const mid = lo.plus(hi).div(2).toDecimalPlaces(places(MOST_STEP[spec.kind]), Decimal.ROUND_FLOOR);
        if (mid.lte(lo)) break;
        const result = run(name, mid);
        if (result.status === "granted" && worth(result).gte(worth(top))) hi = mid; else lo = mid;
      }
      if (found.some(([, , c]) => c.input === name && D(c.to).eq(hi))) continue;
      found.push([distance(value, hi, step), order.indexOf(name), change(spec, "most", value, hi, run(name, hi))]);
    }
  }
  found.sort((a, b) => compareDistance(a[0], b[0]) || a[1] - b[1] || (a[2].kind < b[2].kind ? -1 : a[2].kind > b[2].kind ? 1 : 0));
  return found.map(([, , c]) => c);
}

// A distance is the fraction |to − value| / max(|value|, step), kept as its two parts and compared exactly.
const distance = (value, to, step) => [to.minus(value).abs(), Dec.max(value.abs(), step)];
const compareDistance = ([a, b], [c, d]) => a.mul(d).cmp(c.mul(b));

function change(spec, kind, value, to, result) {
  const show = (v) => formatQuantity(v, spec.kind, spec.currency, spec.area);
  const amount = worth(result);
  const gets = (result.status === "discretionary" ? "最高可获得 " : "可获得 ") + formatQuantity(amount, "money");
  let text;
  if (kind === "most") text = `${spec.label}达到 ${show(to)} 时${gets}，为本条在其他情况不变时的最高额`;
  else if (spec.ordinal && to.lt(value)) text = `${spec.label}提升 ${show(value.minus(to))} 位（进入前 ${show(to)} 名）即${gets}`;
  else if (to.gt(value)) text = `${spec.label}再增加 ${show(to.minus(value))}（达到 ${show(to)}）即${gets}`;
  else text = `${spec.label}减少 ${show(value.minus(to))}（降到 ${show(to)}）即${gets}`;
  return { input: spec.name, kind, from: value.toString(), to: to.toString(), status: result.status, amount: amount.toString(), text };
}
