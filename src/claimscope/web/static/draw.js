// Drawing helpers for the explorer: tables, charts (vega-embed from /assets/vega.js), text.
// Every figure comes from the API; these only lay it out.
// The vega bundle declares short global names at the top level of its classic script; these
// files therefore keep every name inside a function and publish one namespaced object.
"use strict";

window.claimscopeDraw = (() => {
  const pct = (share) => (share === null || share === undefined ? "" : (share * 100).toFixed(1) + "%");
  const num = (value, measure) => {
    if (value === null || value === undefined) return "suppressed";
    const money = measure === "allowed" || measure === "paid";
    return money ? "$" + value.toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2})
                 : value.toLocaleString("en-US");
  };
  const points = (pp) => (pp === null || pp === undefined ? "" : (pp > 0 ? "+" : "") + pp.toFixed(1));

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // columns: [{label, numeric?}], rows: arrays of strings or Nodes; a wrapper that scrolls
  // sideways on narrow screens and can take keyboard focus to do so.
  function table(caption, columns, rows, id) {
    const t = el("table", id ? {id} : {});
    t.append(el("caption", {text: caption}));
    const head = el("tr");
    for (const column of columns) {
      head.append(el("th", {scope: "col", class: column.numeric ? "num" : "", text: column.label}));
    }
    t.append(el("thead", {}, head));
    const body = el("tbody");
    for (const row of rows) {
      const tr = el("tr");
      row.forEach((value, i) => {
        const td = el("td", {class: columns[i].numeric ? "num" : ""});
        if (value instanceof Node) td.append(value); else td.textContent = value ?? "";
        if (value === "suppressed") tr.className = "suppressed";
        tr.append(td);
      });
      body.append(tr);
    }
    t.append(body);
    return el("div", {class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption}, t);
  }

  let topology = null;
  async function states() {
    if (!topology) topology = await (await fetch("/assets/us-states-10m.json")).json();
    return topology;
  }

  // Specs name the state boundaries by file; the page puts the fetched topology in place.
  function inline(node, topo) {
    if (Array.isArray(node)) return node.map((n) => inline(n, topo));
    if (node === null || typeof node !== "object") return node;
    if (node.url === "us-states-10m.json") {
      const {url, ...rest} = node;
      return {...rest, values: topo};
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v, topo)]));
  }

  function chart(spec, title) {
    const holder = el("div", {class: "chart"});
    const figure = el("figure", {}, holder, el("figcaption", {text: title}));
    const needsMap = JSON.stringify(spec).includes("us-states-10m.json");
    (needsMap ? states() : Promise.resolve(null))
      .then((topo) => vegaEmbed(holder, topo ? inline(spec, topo) : spec, {renderer: "svg", actions: false}))
      .catch((error) => { holder.textContent = "Chart could not be drawn: " + error.message; });
    return figure;
  }

  function sentences(list) {
    if (!list || !list.length) return null;
    return el("div", {class: "sentences"}, ...list.map((s) => el("p", {text: s})));
  }

  function notes(list) {
    if (!list || !list.length) return null;
    return el("p", {class: "caption", text: list.join(" · ")});
  }

  // All tables of the current view as one CSV (a blank line and the caption between tables).
  function csv(container) {
    const quote = (text) => (/[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text);
    const parts = [];
    for (const t of container.querySelectorAll("table")) {
      const caption = t.querySelector("caption");
      if (caption) parts.push(quote(caption.textContent));
      for (const row of t.querySelectorAll("tr")) {
        parts.push([...row.children].map((c) => quote(c.textContent.trim())).join(","));
      }
      parts.push("");
    }
    return parts.join("\n");
  }

  function download(name, text, type) {
    const link = el("a", {href: URL.createObjectURL(new Blob([text], {type})), download: name});
    document.body.append(link);
    link.click();
    link.remove();
  }

  return {pct, num, points, el, table, chart, sentences, notes, csv, download};
})();
