// The explorer only calls the JSON API and draws what it returns: every figure, and every
// suppression, comes from the analysis layer.
"use strict";

const form = document.getElementById("query");
const pct = (share) => (share === null || share === undefined ? "" : (share * 100).toFixed(1) + "%");
const num = (value, measure) => {
  if (value === null || value === undefined) return "suppressed";
  const money = measure === "allowed" || measure === "paid";
  return money ? "$" + value.toLocaleString(undefined, {minimumFractionDigits: 2, maximumFractionDigits: 2})
               : value.toLocaleString();
};

function params() {
  const data = new FormData(form);
  const query = new URLSearchParams();
  for (const [key, value] of data.entries()) {
    if (String(value).trim() !== "") query.append(key, String(value).trim());
  }
  return query;
}

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error?.message || response.statusText);
  return body;
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function drawRanking(result) {
  const tbody = document.querySelector("#top tbody");
  tbody.replaceChildren();
  const top = Math.max(...result.rows.filter((r) => r.share).map((r) => r.share), 0.0001);
  for (const row of result.rows) {
    const tr = tbody.insertRow();
    if (row.suppressed) tr.className = "suppressed";
    cell(tr, row.rank ?? "");
    cell(tr, row.code);
    cell(tr, row.name ?? "");
    cell(tr, num(row.value, result.measure), "num");
    cell(tr, row.suppressed ? "suppressed" : pct(row.share), "num");
    const barCell = tr.insertCell();
    if (row.share) {
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.style.width = Math.round((row.share / top) * 160) + "px";
      barCell.appendChild(bar);
    }
    const action = tr.insertCell();
    const button = document.createElement("button");
    button.textContent = "Explore";
    button.addEventListener("click", () => explore(row.code));
    action.appendChild(button);
  }
  const q = result.query;
  document.getElementById("ranking-title").textContent =
    `Top codes of ${q.codes}, ${q.from ?? "start"} to ${q.to ?? "end"}, by ${result.measure}`;
  const sources = result.data.sources.map((s) => s.name).join(", ") || "none";
  document.getElementById("caption").textContent =
    [`Total: ${num(result.total, result.measure)}`, `sources: ${sources}`, ...(result.notes || [])].join(" · ");
  document.getElementById("ranking").hidden = false;
}

function drawExplore(result) {
  document.getElementById("explore-title").textContent =
    `Explore ${result.code} ${result.name ?? ""} — total ${num(result.total, result.measure)}`;
  const holder = document.getElementById("breakdowns");
  holder.replaceChildren();
  for (const note of result.notes || []) {
    const p = document.createElement("p");
    p.textContent = note;
    holder.appendChild(p);
  }
  for (const breakdown of result.breakdowns) {
    const section = document.createElement("div");
    const title = document.createElement("h3");
    title.textContent = breakdown.title;
    const table = document.createElement("table");
    for (const row of breakdown.rows) {
      const tr = table.insertRow();
      if (row.suppressed) tr.className = "suppressed";
      cell(tr, row.label || row.key).title = row.key;
      cell(tr, num(row.value, result.measure), "num");
      cell(tr, row.suppressed ? "suppressed" : pct(row.share), "num");
    }
    section.append(title, table);
    holder.appendChild(section);
  }
  document.getElementById("explore").hidden = false;
}

async function rank(event) {
  if (event) event.preventDefault();
  showError("");
  try {
    drawRanking(await getJson("/api/top?" + params()));
  } catch (error) {
    showError(error.message);
  }
}

async function explore(code) {
  showError("");
  const query = params();
  query.delete("limit");
  try {
    drawExplore(await getJson(`/api/explore/${encodeURIComponent(code)}?` + query));
    history.replaceState(null, "", "#explore=" + encodeURIComponent(code));  // shareable link
    document.getElementById("explore").scrollIntoView({behavior: "smooth"});
  } catch (error) {
    showError(error.message);
  }
}

form.addEventListener("submit", rank);
rank().then(() => {
  const linked = /^#explore=(.+)$/.exec(location.hash);
  if (linked) explore(decodeURIComponent(linked[1]));
});
