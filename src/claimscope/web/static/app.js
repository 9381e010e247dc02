// The explorer: views for top, compare, trend, explore and status. The whole state (view and
// every filter) lives in the URL hash, so any view can be shared and reloaded. The page only
// calls the JSON API and draws what it returns: every figure and every suppression comes from
// the analysis layer.
"use strict";

(() => {
const Draw = window.claimscopeDraw;
const {el, table, chart, sentences, notes, pct, num, points} = Draw;
const form = document.getElementById("query");
const content = document.getElementById("content");
const VIEWS = ["top", "compare", "trend", "explore", "status"];
const FILTERS = ["codes", "from", "to", "specialty", "payer_type", "state", "measure", "as_of"];
let current = {state: {}, payload: null};

// ---- state <-> URL <-> form ----
function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const state = Object.fromEntries(params.entries());
  if (state.explore) {  // the short form #explore=CODE of earlier links
    state.code = state.explore;
    delete state.explore;
    state.view = "explore";
  }
  if (!VIEWS.includes(state.view)) state.view = "top";
  return state;
}

function formState() {
  const state = {};
  for (const [key, value] of new FormData(form).entries()) {
    if (String(value).trim() !== "") state[key] = String(value).trim();
  }
  return state;
}

function fillForm(state) {
  for (const field of form.elements) {
    if (!field.name) continue;
    if (field.type === "checkbox") field.checked = state[field.name] === "true";
    else if (state[field.name] !== undefined) field.value = state[field.name];
  }
}

function hashOf(state) {
  const params = new URLSearchParams();
  params.set("view", state.view);
  for (const [key, value] of Object.entries(state)) if (key !== "view" && value) params.set(key, value);
  return "#" + params.toString();
}

function apiParams(state, extra) {
  const query = new URLSearchParams();
  for (const key of FILTERS) if (state[key]) query.append(key, state[key]);
  for (const key of extra) {
    if (key === "cohort") for (const c of (state.cohort || "").split(",")) { if (c.trim()) query.append("cohort", c.trim()); }
    else if (state[key]) query.append(key, state[key]);
  }
  return query;
}

// ---- fetching and the page frame ----
async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error?.message || response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function frame(state) {
  for (const label of form.querySelectorAll("[data-for]")) {
    label.hidden = !label.dataset.for.split(" ").includes(state.view);
  }
  for (const link of document.querySelectorAll("#tabs a")) {
    const view = link.dataset.view;
    link.href = hashOf({...state, view});
    if (view === state.view) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  const report = apiParams(state, ["limit", ...(state.view === "compare" ? ["cohort", "ci"] : [])]);
  document.getElementById("download-report").href = "/api/report?" + report;
}

function setTitle(text) {
  document.getElementById("view-title").textContent = text;
  document.title = text + " · claimscope";
}

function exploreLink(state, code) {
  return el("a", {href: hashOf({...state, view: "explore", code}), text: "Explore", "aria-label": "Explore " + code});
}

function period(q) {
  return `${q.from ?? "start"} to ${q.to ?? "end"}`;
}

// ---- views ----
async function showTop(state) {
  const {result, charts} = await getJson("/api/view/top?" + apiParams(state, ["limit"]));
  setTitle(`Top codes of ${result.query.codes}, ${period(result.query)}, by ${result.measure}`);
  const rows = result.rows.map((r) => [
    r.rank ?? "", r.code, r.name ?? "", num(r.value, result.measure),
    r.suppressed ? "suppressed" : pct(r.share), r.rank ? exploreLink(state, r.code) : "",
  ]);
  const columns = [{label: "Rank", numeric: true}, {label: "Code"}, {label: "Name"},
    {label: "Value", numeric: true}, {label: "Share", numeric: true}, {label: "Explore"}];
  const sources = result.data.sources.map((s) => s.name).join(", ") || "none";
  return [
    result.rows.some((r) => r.rank) ? chart(charts.ranking, "Share by code (suppressed codes are not drawn)") : null,
    table("Ranked codes", columns, rows, "top"),
    notes([`Total: ${num(result.total, result.measure)}`, `sources: ${sources}`, ...(result.notes || [])]),
  ];
}

async function showCompare(state) {
  const {result, charts} = await getJson("/api/view/compare?" + apiParams(state, ["limit", "cohort", "ci"]));
  setTitle(`Compare ${result.cohorts.map((c) => c.label).join(", ")}: ${result.query.codes}, ${period(result.query)}`);
  const out = [sentences(result.sentences)];
  const grid = el("div", {class: "grid"});
  for (const cohort of result.cohorts) {
    const withCi = cohort.rows.some((r) => r.ci);
    const columns = [{label: "Rank", numeric: true}, {label: "Code"}, {label: "Name"}, {label: "Share", numeric: true}];
    if (withCi) columns.push({label: "95% interval", numeric: true}, {label: "Rank stability", numeric: true});
    const rows = cohort.rows.map((r) => {
      const row = [r.rank ?? "", r.code, r.name ?? "", r.suppressed ? "suppressed" : pct(r.share)];
      if (withCi) row.push(r.ci ? `${pct(r.ci[0])} to ${pct(r.ci[1])}` : "", r.rank_stability != null ? pct(r.rank_stability) : "");
      return row;
    });
    const panel = el("section", {class: "panel", "aria-label": cohort.label}, el("h3", {text: cohort.label}));
    if (charts[cohort.name] && cohort.rows.some((r) => r.rank)) panel.append(chart(charts[cohort.name], `${cohort.label}: share by code`));
    panel.append(table(`${cohort.label}: ranked codes`, columns, rows, `cohort-${cohort.name}`));
    if (cohort.notes && cohort.notes.length) panel.append(notes(cohort.notes));
    grid.append(panel);
  }
  out.push(grid);
  const names = result.cohorts.map((c) => c.name);
  const side = result.side_by_side.map((entry) => [entry.code, entry.name ?? "", ...names.flatMap((n) => {
    const cell = entry.cohorts[n] || {};
    if (cell.suppressed) return ["suppressed", ""];
    if (cell.absent) return ["not billed", ""];
    return [cell.rank ?? "", pct(cell.share)];
  })]);
  const sideColumns = [{label: "Code"}, {label: "Name"}, ...result.cohorts.flatMap((c) => [
    {label: `${c.label} rank`, numeric: true}, {label: `${c.label} share`, numeric: true}])];
  out.push(table("Side by side", sideColumns, side, "side-by-side"));
  const overlaps = Array.isArray(result.overlap) ? result.overlap : [{a: names[0], b: names[1], ...result.overlap}];
  const label = (name) => result.cohorts.find((c) => c.name === name).label;
  const two = (x) => (x === null || x === undefined ? "-" : x.toFixed(2));
  out.push(table("Overlap of the top lists", [{label: "Lists"}, {label: "Codes in both", numeric: true},
    {label: "Jaccard", numeric: true}, {label: "Rank-biased overlap", numeric: true}, {label: "Kendall tau-b", numeric: true}],
  overlaps.map((o) => [`${label(o.a)} and ${label(o.b)}`, String(o.shared.length), two(o.jaccard_top_n),
    two(o.rank_biased_overlap), two(o.kendall_tau_b)])));
  return out;
}

async function showTrend(state) {
  const params = apiParams(state, ["grain"]);
  if (state.codes_limit) params.set("limit", state.codes_limit);
  const {result, charts} = await getJson("/api/view/trend?" + params);
  setTitle(`Trend of ${result.query.codes} by ${result.query.grain}, ${period(result.query)}`);
  const first = result.periods[0], last = result.periods[result.periods.length - 1];
  const change = result.series.map((s) => [s.code, s.name ?? "", pct(s.shares[0]), pct(s.shares[s.shares.length - 1]),
    points(s.change_pp), points(s.slope_pp_per_year)]);
  const columns = [{label: "Code"}, {label: "Name"}, {label: `Share ${first ?? ""}`, numeric: true},
    {label: `Share ${last ?? ""}`, numeric: true}, {label: "Change (points)", numeric: true},
    {label: "Fitted trend (points a year)", numeric: true}];
  const grid = result.series.map((s) => [s.code, ...s.shares.map((v, i) => (s.suppressed[i] ? "suppressed" : pct(v)))]);
  return [
    sentences(result.sentences),
    result.periods.length > 1 ? chart(charts.trend, "Share by period") : null,
    table("Change over the window", columns, change, "trend-change"),
    table("Share by period", [{label: "Code"}, ...result.periods.map((p) => ({label: p, numeric: true}))], grid),
    notes(result.notes),
  ];
}

async function showExplore(state) {
  if (!state.code) {
    setTitle("Explore a code");
    return [el("p", {text: "Type a code in the Code box, or follow an Explore link in the Top view."})];
  }
  const url = `/api/view/explore/${encodeURIComponent(state.code)}?` + apiParams(state, []);
  const {result, charts} = await getJson(url);
  setTitle(`Explore ${result.code} ${result.name ?? ""} — total ${num(result.total, result.measure)}`);
  const out = [notes(result.notes)];
  if (charts.trend) out.push(chart(charts.trend, "Share of the code set by month"));
  const grid = el("div", {class: "grid"});
  for (const breakdown of result.breakdowns) {
    const panel = el("section", {class: "panel", "aria-label": breakdown.title}, el("h3", {text: breakdown.title}));
    if (charts[breakdown.dimension]) panel.append(chart(charts[breakdown.dimension], breakdown.title));
    const rows = breakdown.rows.map((r) => [r.label || r.key, num(r.value, result.measure), r.suppressed ? "suppressed" : pct(r.share)]);
    panel.append(table(breakdown.title, [{label: breakdown.title.replace(/^By /, "")}, {label: "Value", numeric: true},
      {label: "Share", numeric: true}], rows));
    grid.append(panel);
  }
  out.push(grid);
  return out;
}

async function showStatus(state) {
  setTitle("Store status");
  let status;
  try {
    const version = state.as_of ? "?" + new URLSearchParams({as_of: state.as_of}) : "";
    status = await getJson("/api/status" + version);  // the shape of `claimscope status --format json`
  } catch (error) {
    if (error.status !== 404) throw error;
    status = null;  // a server without store versions: show what the ingest ledger says
  }
  const sources = status ? status.sources : (await getJson("/api/sources")).sources;
  const out = [];
  if (status) {
    out.push(el("dl", {class: "facts"},
      el("dt", {text: "Store version"}), el("dd", {text: String(status.version ?? "-")}),
      el("dt", {text: "Last refresh"}), el("dd", {text: status.time ?? "-"}),
      el("dt", {text: "Months covered"}), el("dd", {text: String((status.months || []).length)}),
      el("dt", {text: "Quarantined rows"}), el("dd", {text: num(status.quarantined ?? null)})));
    out.push(table("Lines per month", [{label: "Month"}, {label: "Lines", numeric: true}],
      (status.months || []).map((m) => [m.month, num(m.lines)]), "months"));
    out.push(table("Last ingests", [{label: "Version", numeric: true}, {label: "Time"}, {label: "Source"},
      {label: "Format"}, {label: "Loaded", numeric: true}, {label: "Quarantined", numeric: true}],
    (status.last_ingests || []).map((i) => [String(i.version ?? ""), i.ingested_at ?? "", i.source ?? "",
      i.format ?? "", num(i.loaded), num(i.quarantined)]), "ingests"));
  } else {
    out.push(el("p", {text: "This server does not report store versions; the sources it holds:"}));
  }
  out.push(table("Sources", [{label: "Source"}, {label: "Formats"}, {label: "First month"}, {label: "Last month"},
    {label: "Loaded", numeric: true}], (sources || []).map((s) => [s.name ?? "", (s.formats || []).join(", "),
    s.first_month ?? "", s.last_month ?? "", num(s.loaded)]), "sources"));
  return out;
}

const RENDER = {top: showTop, compare: showCompare, trend: showTrend, explore: showExplore, status: showStatus};

async function render() {
  const state = readHash();
  fillForm(state);
  frame(state);
  showError("");
  document.getElementById("busy").textContent = "Loading…";
  try {
    const parts = await RENDER[state.view](state);
    content.replaceChildren(...parts.filter(Boolean));
    current = {state, payload: parts};
    document.getElementById("downloads").hidden = state.view === "status";
  } catch (error) {
    content.replaceChildren();
    showError(error.message);
  } finally {
    document.getElementById("busy").textContent = "";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const state = {...formState(), view: readHash().view};
  if (!state.ci) delete state.ci;
  const target = hashOf(state);
  if (target === location.hash) render(); else location.hash = target;
});
window.addEventListener("hashchange", render);
document.getElementById("download-csv").addEventListener("click", () =>
  Draw.download(`claimscope-${current.state.view}.csv`, Draw.csv(content), "text/csv"));
document.getElementById("download-json").addEventListener("click", async () => {
  const url = lastJsonUrl(current.state);
  const body = await getJson(url);
  Draw.download(`claimscope-${current.state.view}.json`, JSON.stringify(body.result ?? body, null, 2), "application/json");
});

function lastJsonUrl(state) {
  if (state.view === "compare") return "/api/view/compare?" + apiParams(state, ["limit", "cohort", "ci"]);
  if (state.view === "trend") return "/api/view/trend?" + apiParams(state, ["grain"]);
  if (state.view === "explore") return `/api/view/explore/${encodeURIComponent(state.code || "")}?` + apiParams(state, []);
  return "/api/view/top?" + apiParams(state, ["limit"]);
}

// A first visit has no hash: start from the form's defaults in the Top view.
if (!location.hash) history.replaceState(null, "", hashOf({...formState(), view: "top"}));
render();
})();
