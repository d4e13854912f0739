/* Kannustin's Mini App page: no framework, nothing from another server.
 *
 * Who opened the page is Telegram's signed launch data (initData): from
 * window.Telegram.WebApp when Telegram's script is there, else from the launch
 * parameters Telegram puts in the address's fragment
 * (#tgWebAppData=...&tgWebAppThemeParams=...&tgWebAppVersion=...). Every API request
 * carries it as "Authorization: tma <initData>"; the server decides everything else.
 * The fragment may also name the view (#dashboard, #plan), kept beside the launch data.
 */
"use strict";

const VIEWS = ["dashboard", "plan"];
const STAFF = ["admin", "coordinator", "instructor"];
const LANGUAGES = ["fi", "sv", "en"];
const STORED = "kannustin.launch";
const COLUMNS = [
  "members", "active", "messages", "reactions", "planned", "done", "confidence", "broadcasts",
];
const HEADINGS = {
  members: "dash.members", active: "dash.active", messages: "dash.messages", reactions: "dash.reactions",
  planned: "dash.planned", done: "dash.done", confidence: "dash.confidence",
  broadcasts: "dash.sent",
};

const state = {
  launch: "",        // the fragment's launch parameters, kept as Telegram gave them
  initData: "",
  theme: {},         // Telegram's theme parameters
  telegramScheme: null,
  scheme: "light",
  language: "fi",
  chosen: false,  // whether the person chose the language on the page
  texts: {},
  me: null,
  view: null,
  groups: [],        // the dashboard's groups as the unfiltered answer lists them
  dashboard: null,
  plan: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

/* ---------- launch parameters ---------- */

function readFragment() {
  const view = [];
  const rest = [];
  for (const part of location.hash.replace(/^#/, "").split(/[&?]/)) {
    if (!part) continue;
    if (part.includes("=")) rest.push(part);
    else if (VIEWS.includes(part)) view.push(part);
  }
  return { view: view[0] || null, launch: rest.join("&") };
}

function readLaunch() {
  const fragment = readFragment();
  let launch = fragment.launch;
  if (new URLSearchParams(launch).get("tgWebAppData")) {
    sessionStorage.setItem(STORED, launch);  // a reload inside Telegram keeps working
  } else {
    launch = sessionStorage.getItem(STORED) || "";
  }
  const params = new URLSearchParams(launch);
  state.launch = launch;
  state.initData = params.get("tgWebAppData") || "";
  state.theme = parseJson(params.get("tgWebAppThemeParams")) || {};
  const telegram = window.Telegram && window.Telegram.WebApp;
  if (telegram && telegram.initData) {
    state.initData = telegram.initData;
    state.theme = telegram.themeParams || state.theme;
    if (typeof telegram.ready === "function") telegram.ready();
    if (typeof telegram.expand === "function") telegram.expand();
    if (typeof telegram.onEvent === "function") {
      // the person switched Telegram's theme while the page is open
      telegram.onEvent("themeChanged", () => {
        state.theme = telegram.themeParams || {};
        setScheme(initialScheme());
      });
    }
  }
  return fragment.view;
}

function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    return null;
  }
}

/* ---------- words ---------- */

function t(key, params) {
  const words = (state.texts[state.language] || {})[key] || (state.texts.en || {})[key] || key;
  return words.replace(/\{(\w+)\}/g, (all, name) => (params && name in params ? params[name] : all));
}

function number(value, digits) {
  return new Intl.NumberFormat(state.language, {
    maximumFractionDigits: digits || 0, minimumFractionDigits: digits || 0,
  }).format(value);
}

function setLanguage(language) {
  state.language = LANGUAGES.includes(language) ? language : "fi";
  document.documentElement.lang = state.language;
  $("language").value = state.language;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-label]")) {
    node.setAttribute("aria-label", t(node.dataset.tLabel));
  }
  showScheme();
  if (state.dashboard) renderDashboard();
  if (state.plan) renderPlan();
  if ($("confidence")) showConfidence();
}

/* ---------- theme ---------- */

const THEME_KEYS = [
  "bg_color", "text_color", "hint_color", "link_color", "button_color",
  "button_text_color", "secondary_bg_color", "destructive_text_color",
];

function luminance(hex) {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex || "");
  if (!match) return null;
  const value = parseInt(match[1], 16);
  const linear = [16, 8, 0].map((shift) => {
    const channel = ((value >> shift) & 255) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
}

function initialScheme() {
  const background = luminance(state.theme.bg_color);
  if (background !== null) state.telegramScheme = background < 0.2 ? "dark" : "light";
  if (state.telegramScheme) return state.telegramScheme;
  return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function setScheme(scheme) {
  state.scheme = scheme;
  const root = document.documentElement;
  root.dataset.theme = scheme;
  // Telegram's colours belong to its own scheme; the other scheme takes our defaults
  const own = scheme === state.telegramScheme;
  for (const key of THEME_KEYS) {
    const name = "--tg-theme-" + key.replace(/_/g, "-");
    const value = state.theme[key];
    if (own && /^#[0-9a-f]{3,8}$/i.test(value || "")) root.style.setProperty(name, value);
    else root.style.removeProperty(name);
  }
  showScheme();
}

function showScheme() {
  const button = $("theme");
  const dark = state.scheme === "dark";
  button.textContent = dark ? t("tools.light") : t("tools.dark");
  button.setAttribute("aria-pressed", dark ? "true" : "false");
}

/* ---------- the API ---------- */

/* A refusal to show: the API's own words, or our words by key (looked up when shown: the
   words may still be loading when the request fails) */
class Refused extends Error {
  constructor(words, key) {
    super(words || key);
    this.words = words;
    this.key = key;
  }
}

async function api(path, options) {
  const request = Object.assign({ method: "GET" }, options || {});
  request.headers = { Authorization: "tma " + state.initData };
  if (request.json !== undefined) {
    request.headers["Content-Type"] = "application/json";
    request.body = JSON.stringify(request.json);
    delete request.json;
  }
  if (state.chosen) {
    // the language chosen on the page: the answer's words (titles, notes) in it too
    path += (path.includes("?") ? "&" : "?") + "lang=" + state.language;
  }
  let response;
  try {
    response = await fetch("api/" + path, request);
  } catch (error) {
    throw new Refused(null, "error.network");
  }
  const data = await response.json().catch(() => null);
  if (response.status === 401) throw new Refused(null, "error.unauthorized");
  if (!response.ok) throw new Refused(data && data.message, "error.generic");
  return data;
}

function showError(error) {
  const box = $("error");
  box.textContent = error instanceof Refused ? error.words || t(error.key) : t("error.generic");
  box.hidden = false;
  $("status").textContent = "";
  if (!(error instanceof Refused)) console.error(error);
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

/* ---------- views ---------- */

function isStaff() {
  return state.me && state.me.roles.some((role) => STAFF.includes(role));
}

function fragmentFor(view) {
  return "#" + view + (state.launch ? "&" + state.launch : "");
}

async function showView(view, early) {
  state.view = view;
  for (const name of VIEWS) {
    $(name).hidden = name !== view;
    const tab = $("to-" + name);
    tab.href = fragmentFor(name);
    if (name === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  clearError();
  $("status").textContent = t("loading");
  try {
    if (view === "dashboard") await loadDashboard(early);
    else await loadPlan(early);
    $("status").textContent = "";
  } catch (error) {
    showError(error);
  }
}

/* ---------- dashboard ---------- */

async function loadDashboard(early) {
  const query = new URLSearchParams();
  if ($("group").value) query.set("group", $("group").value);
  if ($("season").value) query.set("season", $("season").value);
  const data = await (early || api("dashboard" + (query.toString() ? "?" + query : "")));
  if (!$("group").value) state.groups = data.groups || [];
  state.dashboard = data;
  renderDashboard();
}

function figure(value, mark, digits) {
  // a figure the disclosure rule hides is shown as /stats writes it ("<5", "x"), never as 0
  if (typeof value === "number") return { text: number(value, digits), hidden: false };
  return { text: mark || t("dash.hidden"), hidden: true };
}

function fillFilters(data) {
  const group = $("group");
  const chosenGroup = group.value;
  group.replaceChildren(el("option", { value: "" }, t("dash.all-groups")));
  for (const item of state.groups) group.append(el("option", { value: String(item.id) }, item.name));
  group.value = chosenGroup;
  const season = $("season");
  const chosenSeason = season.value;
  const seasons = new Set(data.seasons || []);
  for (const item of state.groups) if (Number.isInteger(item.season)) seasons.add(item.season);
  season.replaceChildren(el("option", { value: "" }, t("dash.current-season")));
  for (const n of [...seasons].sort((a, b) => b - a)) {
    season.append(el("option", { value: String(n) }, t("dash.season-n", { n })));
  }
  season.value = chosenSeason;
}

function renderDashboard() {
  const data = state.dashboard;
  $("dashboard-title").textContent = data.title || t("nav.dashboard");
  fillFilters(data);
  const notes = data.notes || {};
  const figures = $("figures");
  figures.replaceChildren();
  const blocks = [];
  if (data.total && data.total.weeks && (data.groups || []).length > 1) {
    blocks.push({ name: t("dash.total"), weeks: data.total.weeks });
  }
  for (const item of data.groups || []) blocks.push({ name: item.name, weeks: item.weeks || [] });
  if (!blocks.length) figures.append(el("p", { class: "hint" }, t("dash.empty")));
  blocks.forEach((block, index) => {
    if (index === 0) figures.append(chart(block));
    figures.append(folded(block.name, weeksTable(block), index === 0));
  });
  renderBroadcasts(data.broadcasts || []);
  renderSurveys(data.surveys || []);
  $("notes").textContent = [notes.hidden, notes.small].filter(Boolean).join(" ");
}

function folded(title, content, open) {
  // the first table open, the others one tap away: an organisation may have hundreds
  if (open) return content;
  return el("details", { class: "fold" }, el("summary", {}, title), content);
}

function weeksTable(block) {
  const head = el("tr", {}, el("th", { scope: "col" }, t("dash.week")));
  for (const column of COLUMNS) head.append(el("th", { scope: "col" }, t(HEADINGS[column])));
  const body = el("tbody");
  for (const week of block.weeks) {
    const row = el("tr", {}, el("th", { scope: "row" }, String(week.week)));
    for (const column of COLUMNS) {
      const shown = figure(week[column], (week.marks || {})[column], column === "confidence" ? 1 : 0);
      row.append(el("td", shown.hidden ? { class: "hidden-figure" } : {}, shown.text));
    }
    body.append(row);
  }
  return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": block.name },
    el("table", { class: "weeks" }, el("caption", {}, block.name), el("thead", {}, head), body));
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function chart(block) {
  // active participants by week; a hidden week is an empty dashed bar with the API's words
  const width = 340;
  const height = 180;
  const top = 16;
  const bottom = 28;
  const weeks = block.weeks;
  const values = weeks.map((week) => (typeof week.active === "number" ? week.active : null));
  const highest = Math.max(1, ...values.filter((v) => v !== null));
  const slot = (width - 8) / Math.max(1, weeks.length);
  const barWidth = Math.max(6, Math.min(40, slot * 0.7));
  const mark = (week) => (week.marks || {}).active;
  const described = weeks.map((week, i) => t("dash.week") + " " + week.week + ": " + figure(values[i], mark(week)).text);
  const title = t("dash.chart") + " — " + block.name;
  const picture = svg("svg", {
    class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": title + ". " + described.join("; "),
  });
  picture.append(svg("title", {}, title));
  picture.append(svg("line", { class: "axis", x1: 4, x2: width - 4, y1: height - bottom, y2: height - bottom }));
  weeks.forEach((week, i) => {
    const x = 4 + slot * i + (slot - barWidth) / 2;
    const value = values[i];
    const full = height - top - bottom;
    if (value === null) {
      const words = figure(null, mark(week)).text;
      picture.append(svg("rect", { class: "bar-hidden", x, y: top + full * 0.6, width: barWidth, height: full * 0.4 }));
      picture.append(svg("text", { x: x + barWidth / 2, y: top + full * 0.6 - 4, "text-anchor": "middle" }, words.length > 6 ? "?" : words));
    } else {
      const h = Math.max(1, (full * value) / highest);
      picture.append(svg("rect", { class: "bar-shape", x, y: top + full - h, width: barWidth, height: h, "data-week": week.week, "data-value": value }));
      picture.append(svg("text", { x: x + barWidth / 2, y: top + full - h - 4, "text-anchor": "middle" }, number(value)));
    }
    picture.append(svg("text", { x: x + barWidth / 2, y: height - 10, "text-anchor": "middle" }, String(week.week)));
  });
  return el("figure", { class: "chart-figure" }, picture, el("figcaption", { class: "hint" }, title));
}

function renderBroadcasts(broadcasts) {
  const box = $("broadcasts");
  if (!broadcasts.length) {
    box.replaceChildren(el("p", { class: "hint" }, t("dash.no-broadcasts")));
    return;
  }
  const list = el("ul", { class: "list" });
  for (const item of broadcasts) {
    const day = item.sent_at ? new Date(item.sent_at).toLocaleDateString(state.language) : "";
    const what = item.tip ? t("dash.tip", { tip: item.tip }) : t("dash.message");
    const received = t("dash.received", {
      reactions: figure(item.reactions, null).text, replies: figure(item.replies, null).text,
    });
    list.append(el("li", {},
      el("strong", {}, [day, what].filter(Boolean).join(" · ")), el("br"),
      el("span", {}, t("dash.reach", { groups: item.groups, delivered: item.delivered })), el("br"),
      el("span", { class: "hint" }, received)));
  }
  box.replaceChildren(list);
}

function renderSurveys(surveys) {
  // one table per group, and the groups together first (``group`` null) when they may be
  const box = $("surveys");
  if (!surveys.length) {
    box.replaceChildren(el("p", { class: "hint" }, t("dash.no-surveys")));
    return;
  }
  const names = new Map((state.dashboard.groups || []).map((item) => [item.id, item.name]));
  const scopes = new Map();
  for (const item of surveys) {
    const scope = item.group === null || item.group === undefined ? null : item.group;
    if (!scopes.has(scope)) scopes.set(scope, []);
    scopes.get(scope).push(item);
  }
  const order = [...scopes.keys()].sort((a, b) => (a === null ? -1 : b === null ? 1 : 0));
  box.replaceChildren(...order.map((scope, index) => {
    const caption = scope === null ? t("dash.total") : names.get(scope) || String(scope);
    return folded(caption, surveyTable(caption, scopes.get(scope)), index === 0);
  }));
}

function surveyTable(caption, rows) {
  const head = el("tr", {},
    el("th", { scope: "col" }, t("dash.item")), el("th", { scope: "col" }, t("dash.before")),
    el("th", { scope: "col" }, t("dash.after")), el("th", { scope: "col" }, t("dash.answers")));
  const body = el("tbody");
  for (const item of rows) {
    const row = el("tr", {}, el("th", { scope: "row" }, item.name || item.item));
    for (const [value, digits] of [[item.before, 1], [item.after, 1], [item.n, 0]]) {
      const shown = figure(value, item.n_mark, digits);
      row.append(el("td", shown.hidden ? { class: "hidden-figure" } : {}, shown.text));
    }
    body.append(row);
  }
  return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el("table", { class: "surveys" }, el("caption", {}, caption), el("thead", {}, head), body));
}

/* ---------- the weekly plan ---------- */

async function loadPlan(early) {
  state.plan = await (early || api("plan"));
  renderPlan();
}

function renderPlan() {
  const plan = state.plan;
  $("plan-closed").hidden = Boolean(plan.open);
  $("plan-open").hidden = !plan.open;
  if (!plan.open) return;
  $("plan-where").textContent = t("plan.where", { group: plan.group, week: plan.week });
  if (plan.confidence !== null && plan.confidence !== undefined && !$("confidence").dataset.touched) {
    $("confidence").value = String(plan.confidence);
  }
  showConfidence();
  // progress comes after a rating, as in the chat
  $("plan-progress").hidden = plan.confidence === null || plan.confidence === undefined;
  for (const button of document.querySelectorAll("[data-progress]")) {
    button.setAttribute("aria-pressed", button.dataset.progress === plan.progress ? "true" : "false");
    button.classList.add("choice");
  }
}

function showConfidence() {
  const slider = $("confidence");
  const words = t("plan.value", { value: slider.value });
  $("confidence-value").textContent = slider.value;
  slider.setAttribute("aria-valuetext", words);
}

function say(id, words) {
  const node = $(id);
  node.textContent = words;
  node.hidden = !words;
}

async function reflect(event) {
  event.preventDefault();
  clearError();
  try {
    const answer = await api("plan/reflect", { method: "POST", json: { text: $("plan-words").value } });
    const echo = $("plan-echo");
    echo.textContent = answer.text;
    echo.hidden = !answer.text;
  } catch (error) {
    showError(error);
  }
}

async function rate(event) {
  event.preventDefault();
  clearError();
  const plan = state.plan;
  const value = Number($("confidence").value);
  try {
    const answer = await api("plan/confidence", {
      method: "POST", json: { checkin: plan.checkin, round: plan.round, value },
    });
    let words = answer.message || "";
    if (answer.smaller && !words) words = t("plan.smaller");
    say("confidence-answer", words);
    if (answer.smaller) $("plan-words").focus();
    state.plan = await api("plan");
    renderPlan();
  } catch (error) {
    showError(error);
  }
}

async function progress(event) {
  const button = event.target.closest("[data-progress]");
  if (!button) return;
  clearError();
  try {
    const answer = await api("plan/progress", {
      method: "POST", json: { checkin: state.plan.checkin, value: button.dataset.progress },
    });
    say("progress-answer", answer.message || "");
    $("share").hidden = !answer.share;
    state.plan = await api("plan");
    renderPlan();
  } catch (error) {
    showError(error);
  }
}

async function share() {
  clearError();
  try {
    const answer = await api("plan/share", { method: "POST", json: { checkin: state.plan.checkin } });
    $("share").hidden = true;
    say("progress-answer", answer.message || "");
  } catch (error) {
    showError(error);
  }
}

/* ---------- start ---------- */

async function loadTexts() {
  try {
    const response = await fetch("static/texts.json");
    state.texts = await response.json();
  } catch (error) {
    state.texts = {};
  }
}

function wire() {
  $("language").addEventListener("change", (event) => {
    setLanguage(event.target.value);
    state.chosen = true;
    if (state.me) showView(state.view);  // the figures' own words in it as well
  });
  $("theme").addEventListener("click", () => setScheme(state.scheme === "dark" ? "light" : "dark"));
  $("group").addEventListener("change", () => showView("dashboard"));
  $("season").addEventListener("change", () => showView("dashboard"));
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("plan-text").addEventListener("submit", reflect);
  $("plan-confidence").addEventListener("submit", rate);
  $("confidence").addEventListener("input", () => {
    $("confidence").dataset.touched = "1";
    showConfidence();
  });
  $("plan-progress").addEventListener("click", progress);
  $("share").addEventListener("click", share);
  window.addEventListener("hashchange", () => {
    const view = readFragment().view;
    if (view && view !== state.view && state.me) showView(view);
  });
}

async function start() {
  const asked = readLaunch();
  wire();
  const texts = loadTexts();
  setScheme(initialScheme());
  const me = state.initData ? api("me").catch((error) => error) : null;
  // the view the address asks for is loaded beside /me: one round trip less to the figures
  const early = me && asked ? api(asked) : null;
  if (early) early.catch(() => null);  // its refusal is shown when the view is
  await texts;
  setLanguage((navigator.language || "fi").slice(0, 2));
  if (!me) {
    showError(new Refused(null, "error.no-launch"));
    return;
  }
  const answer = await me;
  if (answer instanceof Error) {
    showError(answer);
    return;
  }
  state.me = answer;
  setLanguage(answer.language);
  $("views").hidden = !isStaff();
  const view = asked || (isStaff() ? "dashboard" : "plan");
  await showView(view, view === asked ? early : null);
  document.body.dataset.ready = view;
  performance.mark("kannustin-ready");  // what benchmarks/page.py measures
}

document.addEventListener("DOMContentLoaded", start);
