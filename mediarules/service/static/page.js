// The page for people: pick platforms, type the caption (counted as each platform counts it),
// add files, check them, download the fixed files. It calls the same /v1 API as any other
// client. Everything shown is built with textContent: names and messages are never HTML.
"use strict";

const MARK = { ok: "✓", warning: "⚠", error: "✗" };
const STATUS_WORD = { ok: "Ready", warning: "Warnings", error: "Errors" };
const SEVERITY = {
  error: { status: "error", mark: "✗", word: "error" },
  warning: { status: "warning", mark: "⚠", word: "warning" },
  info: { status: "info", mark: "ℹ", word: "note" },
};
const RANK = { error: 0, warning: 1, info: 2 };
const APPLICABILITY = {
  safe: "safe: keeps what viewers see",
  unsafe: "unsafe: loses something (quality, frames, text, framing...)",
  manual: "manual: needs a person",
};

const state = {
  platforms: {}, // key -> {name, variant_of}
  order: [],
  codes: {},
  files: [], // {file, url, alt}
  limits: null,
  key: sessionStorage.getItem("mediarules-api-key") || "",
  measureTurn: 0,
  lastPost: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function humanBytes(size) {
  if (size < 1000) return `${size.toLocaleString("en")} bytes`;
  let value = size / 1000;
  for (const unit of ["KB", "MB", "GB"]) {
    if (value < 1000 || unit === "GB") return `${value.toPrecision(3).replace(/\.?0+$/, "")} ${unit}`;
    value /= 1000;
  }
  return `${size} bytes`;
}

// -- the API -----------------------------------------------------------------------------------

class Problem extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (state.key) headers.set("X-API-Key", state.key);
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (error) {
    throw new Problem(0, `the service cannot be reached (${error.message})`);
  }
  if (response.ok) return response;
  let detail = `${response.status} ${response.statusText}`;
  try {
    const problem = await response.json();
    if (problem && problem.detail) detail = problem.detail;
  } catch (_) {
    // not a problem document: keep the status line
  }
  if (response.status === 401) showKeyBox();
  throw new Problem(response.status, detail);
}

function showKeyBox() {
  $("key-box").hidden = false;
  $("api-key").focus();
}

function setStatus(id, text, isError) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle("error", Boolean(isError));
  node.setAttribute("role", isError ? "alert" : "status");
}

// -- platforms ---------------------------------------------------------------------------------

function shortVariantName(key) {
  const info = state.platforms[key];
  const base = state.platforms[info.variant_of];
  let name = info.name;
  if (base && name.toLowerCase().startsWith(base.name.toLowerCase() + " ")) {
    name = name.slice(base.name.length + 1);
  }
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function renderPlatforms() {
  const box = $("platforms");
  box.replaceChildren();
  const families = state.order.filter((key) => !state.platforms[key].variant_of);
  for (const base of families) {
    const family = el("div", { class: "family" });
    family.append(platformChip(base, state.platforms[base].name, "base"));
    for (const key of state.order) {
      if (state.platforms[key].variant_of === base) {
        family.append(platformChip(key, shortVariantName(key), "variant"));
      }
    }
    box.append(family);
  }
}

function platformChip(key, label, kind) {
  const input = el("input", {
    type: "checkbox",
    value: key,
    name: "platform",
    "aria-label": state.platforms[key].name,
  });
  input.addEventListener("change", () => {
    scheduleMeasure();
    clearResult();
  });
  return el("label", { class: `chip-check ${kind}` }, input, el("span", { text: label }));
}

function selectedPlatforms() {
  return [...document.querySelectorAll('#platforms input[type="checkbox"]:checked')].map(
    (input) => input.value,
  );
}

const platformName = (key) =>
  key === "all" ? "All platforms" : (state.platforms[key] || { name: key }).name;

// -- the caption's length on each platform -----------------------------------------------------

let measureTimer = null;

function scheduleMeasure() {
  clearTimeout(measureTimer);
  measureTimer = setTimeout(measureCaption, 120);
}

async function measureCaption() {
  const platforms = selectedPlatforms();
  const list = $("counts");
  const turn = ++state.measureTurn;
  if (!platforms.length) {
    list.replaceChildren(el("li", { text: "Pick a platform to see the caption's length on it" }));
    return;
  }
  let results;
  try {
    const response = await api("/v1/measure", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        text: $("caption").value,
        platforms,
        field: "caption",
        has_media: state.files.length > 0,
      }),
    });
    results = await response.json();
  } catch (error) {
    if (turn === state.measureTurn) {
      list.replaceChildren(el("li", { class: "error", text: `Cannot count: ${error.message}` }));
    }
    return;
  }
  if (turn !== state.measureTurn) return; // a later keystroke has its own answer coming
  list.replaceChildren(...results.map(countItem));
}

function countItem(result) {
  const status = result.valid ? "ok" : "error";
  let verdict = result.valid ? "fits" : "not accepted";
  if (result.remaining !== null && result.remaining < 0) {
    verdict = `${(-result.remaining).toLocaleString("en")} over`;
  }
  const limit = result.limit === null ? "no limit" : `/ ${result.limit.toLocaleString("en")}`;
  return el(
    "li",
    { class: status, "data-platform": result.platform },
    el("span", { "aria-hidden": "true", text: MARK[status] }),
    el("span", { text: platformName(result.platform) }),
    el("span", { class: "n", text: result.length.toLocaleString("en") }),
    el("span", { text: `${limit} ${result.unit_name}: ${verdict}` }),
  );
}

// -- files -------------------------------------------------------------------------------------

function addFiles(fileList) {
  for (const file of fileList) {
    state.files.push({ file, url: URL.createObjectURL(file), alt: "" });
  }
  renderFiles();
  scheduleMeasure();
  clearResult();
}

function removeFile(index) {
  URL.revokeObjectURL(state.files[index].url);
  state.files.splice(index, 1);
  renderFiles();
  scheduleMeasure();
  clearResult();
}

function thumb(entry, className) {
  if (entry && entry.file.type.startsWith("image/")) {
    return el("img", { class: className, src: entry.url, alt: "" });
  }
  const name = entry ? entry.file.name : "";
  const ext = name.includes(".") ? name.split(".").pop().toUpperCase().slice(0, 4) : "FILE";
  return el("span", { class: `${className} placeholder`, "aria-hidden": "true", text: ext });
}

function renderFiles() {
  const list = $("file-list");
  list.replaceChildren(
    ...state.files.map((entry, index) => {
      const altId = `alt-${index}`;
      const alt = el("input", { id: altId, type: "text", value: entry.alt });
      alt.addEventListener("input", () => {
        entry.alt = alt.value;
      });
      const remove = el("button", {
        type: "button",
        class: "remove",
        "aria-label": `Remove ${entry.file.name}`,
        text: "Remove",
      });
      remove.addEventListener("click", () => removeFile(index));
      return el(
        "li",
        { class: "file-item" },
        thumb(entry, "mini"),
        el(
          "div",
          {},
          el("div", { class: "name", text: entry.file.name }),
          el("div", {
            class: "sub",
            text: `${humanBytes(entry.file.size)} · ${entry.file.type || "unknown type"}`,
          }),
        ),
        remove,
        el(
          "div",
          { class: "alt" },
          el("label", { for: altId, class: "hint", text: `Alt text for ${entry.file.name}` }),
          alt,
        ),
      );
    }),
  );
  const limits = state.limits;
  const total = state.files.reduce((sum, entry) => sum + entry.file.size, 0);
  if (limits) {
    $("limits").textContent =
      `${plural(state.files.length, "file")}, ${humanBytes(total)} · ` +
      `up to ${limits.max_files} files, ${humanBytes(limits.max_body_bytes)} in all`;
  }
}

function setUpDrop() {
  const drop = $("drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
  });
  $("files").addEventListener("change", (event) => {
    addFiles(event.target.files);
    event.target.value = "";
  });
}

// -- check -------------------------------------------------------------------------------------

function postForm(extra) {
  const form = new FormData();
  for (const entry of state.files) form.append("files", entry.file, entry.file.name);
  form.append("platforms", selectedPlatforms().join(","));
  const caption = $("caption").value;
  const title = $("title").value;
  if (caption) form.append("caption", caption);
  if (title) form.append("title", title);
  if (state.files.some((entry) => entry.alt.trim())) {
    for (const entry of state.files) form.append("alt", entry.alt);
  }
  for (const [name, value] of Object.entries(extra || {})) form.append(name, value);
  return form;
}

function tooBig() {
  const limits = state.limits;
  if (!limits) return null;
  const total = state.files.reduce((sum, entry) => sum + entry.file.size, 0);
  if (state.files.length > limits.max_files) {
    return `${plural(state.files.length, "file")}: this service takes ${limits.max_files} at most`;
  }
  if (total > limits.max_body_bytes) {
    return `${humanBytes(total)} of files: this service takes ${humanBytes(limits.max_body_bytes)} at most`;
  }
  return null;
}

async function checkPost(event) {
  event.preventDefault();
  const platforms = selectedPlatforms();
  if (!platforms.length) {
    setStatus("status", "Pick at least one platform first.", true);
    return;
  }
  const problem = tooBig();
  if (problem) {
    setStatus("status", problem, true);
    return;
  }
  const button = $("check");
  button.disabled = true;
  setStatus("status", "Checking…");
  try {
    const response = await api("/v1/check/files", { method: "POST", body: postForm() });
    const report = await response.json();
    state.lastPost = { platforms, files: state.files.slice() };
    renderReport(report, platforms, state.lastPost.files);
    const errors = report.violations.filter((v) => v.severity === "error").length;
    setStatus("status", report.ok ? "Checked: ready to publish." : `Checked: ${plural(errors, "error")}.`);
  } catch (error) {
    setStatus("status", `Not checked: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

function clearResult() {
  $("result").hidden = true;
  $("result").replaceChildren();
  $("fix").hidden = true;
  setStatus("fix-status", "");
}

// -- the report (the look of check --html) -----------------------------------------------------

function cellOf(violations) {
  const errors = violations.filter((v) => v.severity === "error").length;
  const warnings = violations.filter((v) => v.severity === "warning").length;
  const notes = violations.filter((v) => v.severity === "info").length;
  const status = errors ? "error" : warnings ? "warning" : "ok";
  const codes = [...new Set([...violations].sort((a, b) => RANK[a.severity] - RANK[b.severity]).map((v) => v.code))];
  return { status, errors, warnings, notes, codes };
}

const onPlatform = (violations, key) => violations.filter((v) => v.platform === key || v.platform === "all");

function cellShort(cell) {
  if (cell.status === "error") return plural(cell.errors, "error");
  if (cell.status === "warning") return plural(cell.warnings, "warning");
  return cell.notes ? `ok, ${plural(cell.notes, "note")}` : "ok";
}

function cellWords(cell) {
  const parts = [];
  if (cell.errors) parts.push(plural(cell.errors, "error"));
  if (cell.warnings) parts.push(plural(cell.warnings, "warning"));
  if (cell.notes) parts.push(plural(cell.notes, "note"));
  const head = { error: "errors", warning: "warnings only", ok: "ready" }[cell.status];
  return head + (parts.length ? `: ${parts.join(", ")}` : "");
}

function renderReport(report, platforms, files) {
  const result = $("result");
  const rows = matrixRows(report, files);
  result.replaceChildren(verdict(report, platforms), matrix(rows, platforms), details(report, files, platforms));
  result.hidden = false;
  const fixable = report.violations.some((v) => v.fix && v.fix.applicability !== "manual");
  $("fix").hidden = !(fixable && files.length);
  result.focus();
}

function verdict(report, platforms) {
  const worst = cellOf(report.violations).status;
  const sentence = {
    error: "Not ready: errors must be fixed before publishing.",
    warning: "Publishable, with warnings to review first.",
    ok: "Ready to publish on every platform checked.",
  }[worst];
  const groups = { error: [], warning: [], ok: [] };
  for (const key of platforms) groups[cellOf(onPlatform(report.violations, key)).status].push(platformName(key));
  const words = { error: "Errors on", warning: "Warnings only on", ok: "Ready on" };
  const byPlatform = el("p", { class: "by-platform" });
  let first = true;
  for (const status of ["error", "warning", "ok"]) {
    if (!groups[status].length) continue;
    if (!first) byPlatform.append(" · ");
    first = false;
    byPlatform.append(el("span", { class: status, text: `${MARK[status]} ${words[status]} ${groups[status].join(", ")}` }));
  }
  return el(
    "section",
    { class: `verdict ${worst}`, "aria-label": "Verdict" },
    el("span", { class: "big-mark", "aria-hidden": "true", text: MARK[worst] }),
    el(
      "div",
      { class: "verdict-text" },
      el("p", { class: "verdict-line" }, el("strong", { text: "The post was checked." }), ` ${sentence}`),
      byPlatform,
    ),
  );
}

function matrixRows(report, files) {
  const media = report.media;
  const name = (index) => (media[index] && media[index].path) || (files[index] && files[index].file.name) || `item #${index + 1}`;
  if (media.length === 1) {
    return [{ label: name(0), detail: factsLine(media[0]), violations: report.violations, anchor: "file-1", entry: files[0] }];
  }
  const rows = media.map((facts, index) => ({
    label: name(index),
    detail: factsLine(facts),
    violations: report.violations.filter((v) => v.media_index === index),
    anchor: `file-${index + 1}`,
    entry: files[index],
  }));
  rows.push({
    label: media.length ? "Whole post" : "Text only",
    detail: media.length ? `overall: ${plural(media.length, "file")}, caption, title` : "caption and title",
    violations: report.violations,
    anchor: "post",
    whole: true,
  });
  return rows;
}

function matrix(rows, platforms) {
  const head = el("tr", {}, el("th", { scope: "col", class: "file", text: "File" }));
  for (const key of platforms) head.append(el("th", { scope: "col", class: "plat", text: platformName(key) }));
  const body = el("tbody");
  for (const row of rows) {
    const picture = row.whole
      ? el("span", { class: "mini post-icon", "aria-hidden": "true", text: "¶" })
      : thumb(row.entry, "mini");
    const tr = el(
      "tr",
      { class: row.whole ? "whole" : "file" },
      el(
        "th",
        { scope: "row", class: "file" },
        el(
          "a",
          { class: "who", href: `#${row.anchor}` },
          picture,
          el(
            "span",
            { class: "who-text" },
            el("span", { class: "name", title: row.label, text: row.label }),
            el("span", { class: "sub", text: row.detail }),
          ),
        ),
      ),
    );
    for (const key of platforms) {
      const cell = cellOf(onPlatform(row.violations, key));
      let label = `${platformName(key)}, ${row.label}: ${cellWords(cell)}`;
      if (cell.codes.length) label += ` (${cell.codes.join(", ")})`;
      const mark = el("span", { class: "mark", "aria-hidden": "true", text: MARK[cell.status] });
      if (cell.notes && cell.status === "ok") mark.append(el("sup", { class: "note", "aria-hidden": "true", text: "i" }));
      tr.append(
        el(
          "td",
          { class: `cell ${cell.status}`, title: label, "aria-label": label, "data-platform": key },
          el("a", { href: `#${row.anchor}` }, mark, el("span", { class: "word", "aria-hidden": "true", text: cellShort(cell) })),
        ),
      );
    }
    body.append(tr);
  }
  const legend = el(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    el("li", {}, el("span", { class: "key ok", "aria-hidden": "true", text: "✓" }), " ready"),
    el("li", {}, el("span", { class: "key warning", "aria-hidden": "true", text: "⚠" }), " warnings: the platform may alter it"),
    el("li", {}, el("span", { class: "key error", "aria-hidden": "true", text: "✗" }), " errors: the platform rejects it"),
  );
  return el(
    "section",
    { class: "block", "aria-labelledby": "matrix-title" },
    el("h2", { id: "matrix-title", text: "Platforms" }),
    legend,
    el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Platform by file matrix" },
      el("table", { class: "matrix" }, el("thead", {}, head), body)),
  );
}

function factsLine(facts) {
  const parts = [];
  if (facts.format) parts.push(facts.format.toUpperCase());
  if (facts.width && facts.height) parts.push(`${facts.width}×${facts.height}`);
  if (facts.fps) parts.push(`${Number(facts.fps.toFixed(3))} fps`);
  if (facts.duration_s) parts.push(`${Number(facts.duration_s.toFixed(1))} s`);
  if (facts.size !== null && facts.size !== undefined) parts.push(humanBytes(facts.size));
  return parts.join(" · ") || (facts.kind ? facts.kind : "unreadable");
}

function factsList(facts) {
  const rows = [
    ["Kind", facts.kind],
    ["Format", facts.format],
    ["Size", facts.size !== null && facts.size !== undefined ? humanBytes(facts.size) : null],
    ["Pixels", facts.width && facts.height ? `${facts.width} × ${facts.height}` : null],
    ["Frame rate", facts.fps ? `${Number(facts.fps.toFixed(3))} fps` : null],
    ["Duration", facts.duration_s ? `${Number(facts.duration_s.toFixed(2))} s` : null],
    ["Codecs", [facts.video_codec, facts.audio_codec].filter(Boolean).join(" / ") || null],
  ];
  const list = el("dl", { class: "facts" });
  for (const [term, value] of rows) {
    if (value) list.append(el("dt", { text: term }), el("dd", { text: value }));
  }
  return list;
}

function details(report, files, platforms) {
  const section = el("section", { class: "block", "aria-labelledby": "details-title" }, el("h2", { id: "details-title", text: "Details and fixes" }));
  const media = report.media;
  const order = Object.fromEntries(["all", ...platforms].map((key, rank) => [key, rank]));
  if (media.length !== 1) {
    const whole = report.violations.filter((v) => v.media_index === null);
    section.append(
      el("div", { class: "card whole", id: "post" }, el("h3", { text: "Caption, title and the post as a whole" }),
        whole.length ? issues(whole, order) : el("p", { class: "fine", text: "✓ No problems." })),
    );
  }
  media.forEach((facts, index) => {
    const own = media.length === 1 ? report.violations : report.violations.filter((v) => v.media_index === index);
    const status = cellOf(own).status;
    const name = facts.path || (files[index] && files[index].file.name) || `item #${index + 1}`;
    section.append(
      el("article", { class: "card file", id: `file-${index + 1}` },
        el("div", { class: "card-head" },
          el("div", { class: "pic" }, thumb(files[index], "thumb")),
          el("div", { class: "about" },
            el("h3", { class: "file-name" }, el("span", { class: `badge ${status}`, text: `${MARK[status]} ${STATUS_WORD[status]}` }), " ", el("span", { class: "name", text: name })),
            factsList(facts))),
        own.length ? issues(own, order) : el("p", { class: "fine", text: "✓ No problems." })),
    );
  });
  return section;
}

function issues(violations, order) {
  const sorted = [...violations].sort(
    (a, b) => RANK[a.severity] - RANK[b.severity] || (order[a.platform] ?? 99) - (order[b.platform] ?? 99) || a.code.localeCompare(b.code),
  );
  const groups = new Map(); // the same problem on several platforms is one item
  for (const violation of sorted) {
    const key = JSON.stringify([violation.severity, violation.code, violation.message, violation.fix]);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(violation);
  }
  return el("ul", { class: "issues" }, ...[...groups.values()].map(issue));
}

function issue(group) {
  const first = group[0];
  const severity = SEVERITY[first.severity] || SEVERITY.info;
  const names = [...new Set(group.map((v) => platformName(v.platform)))].join(", ");
  const item = el(
    "li",
    { class: `issue ${severity.status} sev-${first.severity}`, "data-code": first.code },
    el("p", { class: "issue-head" },
      el("span", { class: `badge ${severity.status}`, text: `${severity.mark} ${severity.word}` }), " ",
      el("span", { class: "plats", text: names }), " ",
      el("code", { class: "code", text: first.code })),
    el("p", { class: "msg", text: first.message }),
  );
  if (first.fix) {
    const fix = el("p", { class: "fix" },
      el("span", { class: "fix-label", text: "Fix" }), " ",
      el("span", { class: "fix-title", text: first.fix.title }), " ",
      el("span", { class: `appl ${first.fix.applicability}`, title: APPLICABILITY[first.fix.applicability], text: first.fix.applicability }));
    if (first.fix.loses && first.fix.loses.length) fix.append(" ", el("span", { class: "loses", text: `loses ${first.fix.loses.join(", ")}` }));
    item.append(fix);
  }
  const code = state.codes[first.code];
  if (code) item.append(el("p", { class: "why" }, el("span", { class: "why-label", text: "Why" }), ` ${code.why}`));
  const sources = [...new Set(group.map((v) => v.source).filter(Boolean))];
  for (const source of sources) item.append(el("p", { class: "source", text: `Rule source: ${source}` }));
  return item;
}

// -- fixed files -------------------------------------------------------------------------------

async function downloadFixed() {
  const post = state.lastPost;
  if (!post) return;
  const button = $("download");
  button.disabled = true;
  setStatus("fix-status", "Fixing… (a video takes a moment)");
  try {
    const response = await api("/v1/fix", {
      method: "POST",
      body: postForm({ unsafe: $("unsafe").checked ? "true" : "false" }),
    });
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: "mediarules-fixed.zip" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    const ok = response.headers.get("X-Mediarules-Ok") === "true";
    setStatus(
      "fix-status",
      ok
        ? "Downloaded mediarules-fixed.zip: every fixed post passes."
        : "Downloaded mediarules-fixed.zip: some problems remain (see mediarules-fix.json inside;" +
            ($("unsafe").checked ? " some need a person)." : " tick the box above for the unsafe fixes)."),
    );
  } catch (error) {
    setStatus("fix-status", `Not fixed: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

// -- start -------------------------------------------------------------------------------------

async function start() {
  setUpDrop();
  $("post").addEventListener("submit", checkPost);
  $("caption").addEventListener("input", scheduleMeasure);
  $("download").addEventListener("click", downloadFixed);
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.key = $("api-key").value.trim();
    sessionStorage.setItem("mediarules-api-key", state.key);
    $("key-box").hidden = true;
    load();
  });
  await load();
}

async function load() {
  try {
    const ready = await (await fetch("/readyz")).json();
    state.limits = ready.limits || null;
    renderFiles();
    const rules = await (await api("/v1/rules")).json();
    state.platforms = {};
    state.order = Object.keys(rules.platforms);
    for (const [key, value] of Object.entries(rules.platforms)) {
      state.platforms[key] = { name: value.name, variant_of: value.variant_of };
    }
    renderPlatforms();
    const codes = await (await api("/v1/codes")).json();
    state.codes = Object.fromEntries(codes.map((entry) => [entry.code, entry]));
    scheduleMeasure();
    document.body.dataset.ready = "true";
  } catch (error) {
    $("platforms").replaceChildren(el("p", { class: "status error", role: "alert", text: `Cannot load the rules: ${error.message}` }));
  }
}

start();
