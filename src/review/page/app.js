// The review page of `urnscan review`: one answer at a time, keyboard first. Every text
// from the data is set with textContent or .value, never as markup.
"use strict";

const DECISION_WORDS = {
  confirmed: "texte confirmé",
  corrected: "texte corrigé",
  not_an_answer: "pas une réponse",
  illegible: "illisible",
};

const state = {
  all: [],       // every answer of the folder, as the server last gave them
  list: [],      // those the filters keep
  index: 0,      // the answer shown, in list
  history: [],   // decisions of this page, for undo: {id, decision, text}
  busy: false,
  decisions: 0,  // decisions sent by this page: a list fetched across one is stale
};

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  if (!r.ok) {
    throw new Error((await r.text()).trim() || "erreur " + r.status);
  }
  return r.json();
}

function current() {
  return state.list[state.index];
}

function option(select, value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  select.appendChild(o);
}

function fillFilters() {
  const seen = { urn: new Map(), question: new Map(), reason: new Map() };
  for (const a of state.all) {
    seen.urn.set(a.urn_id, a.urn_id + " · " + a.urn_name);
    seen.question.set(a.question_id, a.question_id + " · " + a.question_label);
    a.review_reasons.forEach((r, i) => seen.reason.set(r, a.review_labels[i]));
  }
  for (const [key, map] of Object.entries(seen)) {
    const select = $("f-" + key);
    const keep = select.value;
    while (select.options.length > 1) select.remove(1);
    [...map.entries()].sort().forEach(([v, l]) => option(select, v, l));
    select.value = keep;
  }
}

function applyFilters(toFirstUndecided) {
  const shown = current() && current().contribution_id;
  const urn = $("f-urn").value;
  const question = $("f-question").value;
  const reason = $("f-reason").value;
  const all = $("f-all").checked;
  state.list = state.all.filter((a) =>
    (all || a.flagged || a.decision) &&
    (!urn || a.urn_id === urn) &&
    (!question || a.question_id === question) &&
    (!reason || a.review_reasons.includes(reason)));
  let index = -1;
  if (toFirstUndecided) {
    index = state.list.findIndex((a) => !a.decision);
  } else if (shown) {
    index = state.list.findIndex((a) => a.contribution_id === shown);
  }
  state.index = Math.max(0, index);
  render();
}

function renderProgress() {
  const decided = state.list.filter((a) => a.decision).length;
  const total = state.list.length;
  const p = $("progress");
  p.dataset.decided = decided;
  p.dataset.total = total;
  p.querySelector(".bar span").style.width = total ? (100 * decided / total) + "%" : "0";
  p.querySelector(".label").textContent =
    decided + " décidée(s) sur " + total + " · " + (total - decided) + " à décider";
  const groups = new Map();
  for (const a of state.list) {
    const key = a.urn_id + "\u0000" + a.question_id;
    const g = groups.get(key) || { urn: a.urn_id, question: a.question_id, decided: 0, left: 0 };
    if (a.decision) g.decided++; else g.left++;
    groups.set(key, g);
  }
  const body = $("by-group").querySelector("tbody");
  body.replaceChildren();
  for (const g of [...groups.values()].sort((x, y) => (x.urn + x.question).localeCompare(y.urn + y.question))) {
    const tr = document.createElement("tr");
    for (const v of [g.urn, g.question, g.decided, g.left]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function render() {
  renderProgress();
  const a = current();
  $("main").hidden = !a;
  $("empty").hidden = !!a;
  if (!a) {
    delete document.body.dataset.contributionId;
    return;
  }
  document.body.dataset.contributionId = a.contribution_id;
  $("position").textContent = (state.index + 1) + " / " + state.list.length + " · " + a.contribution_id;
  $("question").textContent = a.question_id + " · " + a.question_label;
  $("urn").textContent = a.urn_id + " · " + a.urn_name;
  $("reasons").textContent = a.review_labels.join(", ") || "aucun";
  const ticks = Object.entries(a.ticks).map(([g, codes]) => g + " : " + (codes.join(", ") || "rien"));
  $("ticks").textContent = ticks.join(" · ") || "aucune case sur ce formulaire";
  $("decision").dataset.decision = a.decision || "";
  $("decision").textContent = a.decision ? DECISION_WORDS[a.decision] : "à décider";
  $("ocr").textContent = a.ocr_text || "(rien)";
  const img = $("crop");
  if (a.crop_url.startsWith("/crops/") && img.getAttribute("src") !== a.crop_url) {
    img.src = a.crop_url;
  }
  const text = $("text");
  text.value = a.text;
  text.focus();
  text.setSelectionRange(text.value.length, text.value.length);
}

function setSaved(stateName, message) {
  const s = $("saved");
  s.dataset.state = stateName;
  s.textContent = message;
}

function notice(message) {
  $("notice").textContent = message || "";
}

function replace(answer) {
  for (const list of [state.all, state.list]) {
    const i = list.findIndex((a) => a.contribution_id === answer.contribution_id);
    if (i >= 0) list[i] = answer;
  }
}

function move(step) {
  if (!state.list.length) return;
  state.index = Math.min(state.list.length - 1, Math.max(0, state.index + step));
  notice("");
  render();
}

// Writes a decision; the page moves on only once the server says it is on disk.
async function decide(decision, text, options) {
  const a = current();
  if (!a || state.busy) return;
  state.busy = true;
  state.decisions++;
  setSaved("saving", "enregistrement…");
  try {
    const r = await api("PUT", "/api/answers/" + encodeURIComponent(a.contribution_id),
      { decision, text, seen: a.decision_seq });
    if (!(options && options.undo)) {
      state.history.push({ id: a.contribution_id, decision: a.decision || "undecided", text: a.text });
    }
    replace(r.answer);
    setSaved("saved", "enregistré : " + a.contribution_id + " (" + (DECISION_WORDS[r.answer.decision] || "à décider") + ")");
    if (r.overridden) {
      notice("Cette réponse avait été décidée entre-temps ailleurs (" +
        (DECISION_WORDS[r.overridden.decision] || "décision annulée") + ") : votre décision la remplace.");
    } else {
      notice("");
    }
    if (options && options.undo) {
      render();
    } else if (state.index < state.list.length - 1) {
      state.index++;
      render();
    } else {
      render();
      notice("C'était la dernière réponse de la liste.");
    }
  } catch (e) {
    setSaved("error", "NON enregistré : " + e.message);
  } finally {
    state.busy = false;
  }
}

function keep() {
  const a = current();
  if (!a) return;
  const text = $("text").value;
  decide(text === a.ocr_text ? "confirmed" : "corrected", text);
}

async function undo() {
  const last = state.history.pop();
  if (!last) {
    notice("Rien à annuler.");
    return;
  }
  let index = state.list.findIndex((a) => a.contribution_id === last.id);
  if (index < 0) {
    $("f-urn").value = ""; $("f-question").value = ""; $("f-reason").value = ""; $("f-all").checked = true;
    applyFilters(false);
    index = state.list.findIndex((a) => a.contribution_id === last.id);
  }
  if (index < 0) return;
  state.index = index;
  await decide(last.decision, last.text, { undo: true });
}

// Other pages and agents decide too: the list follows them, and the agent is told when the
// answer in front of them changed.
async function refresh() {
  if (state.busy) return;
  const asked = state.decisions;
  try {
    const fresh = await api("GET", "/api/answers");
    // A decision of this page went out meanwhile: this list may predate it.
    if (state.busy || state.decisions !== asked) return;
    const shown = current();
    const before = new Map(state.all.map((a) => [a.contribution_id, a.decision_seq]));
    state.all = fresh;
    fillFilters();
    const keepText = $("text").value;
    const i = shown ? state.list.findIndex((a) => a.contribution_id === shown.contribution_id) : -1;
    state.list = state.list.map((a) => fresh.find((f) => f.contribution_id === a.contribution_id) || a);
    renderProgress();
    if (shown && i >= 0) {
      const now = state.list[i];
      if (before.get(now.contribution_id) !== now.decision_seq) {
        notice("Cette réponse vient d'être décidée ailleurs (autre onglet ou autre agent) : " +
          (DECISION_WORDS[now.decision] || "décision annulée") + ".");
        render();
      } else {
        $("text").value = keepText;
      }
    }
  } catch (e) {
    // The server may be stopped for a moment; the next decision says so if it is.
  }
}

function onKey(e) {
  const inText = e.target === $("text");
  const inField = inText || e.target.tagName === "SELECT" || e.target.tagName === "INPUT";
  if (e.altKey && !e.ctrlKey) {
    const k = e.code;
    if (k === "KeyN") { e.preventDefault(); decide("not_an_answer"); return; }
    if (k === "KeyI") { e.preventDefault(); decide("illegible"); return; }
    if (k === "KeyZ") { e.preventDefault(); undo(); return; }
  }
  if (e.key === "PageDown") { e.preventDefault(); move(1); return; }
  if (e.key === "PageUp") { e.preventDefault(); move(-1); return; }
  if (inText && e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.isComposing) {
    e.preventDefault();
    keep();
    return;
  }
  if (inText && e.key === "Escape") { $("text").blur(); return; }
  if (!inField) {
    if (e.key === "ArrowRight") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); move(-1); }
    else if (e.key === "Enter") { e.preventDefault(); keep(); }
  }
}

function zoom() {
  const box = $("crop-box");
  const level = box.classList.contains("zoom2") ? 3 : box.classList.contains("zoom3") ? 1 : 2;
  box.classList.remove("zoom2", "zoom3");
  if (level > 1) box.classList.add("zoom" + level);
}

async function start() {
  document.addEventListener("keydown", onKey);
  $("btn-keep").addEventListener("click", keep);
  $("btn-not-answer").addEventListener("click", () => decide("not_an_answer"));
  $("btn-illegible").addEventListener("click", () => decide("illegible"));
  $("btn-undo").addEventListener("click", undo);
  $("btn-prev").addEventListener("click", () => move(-1));
  $("btn-next").addEventListener("click", () => move(1));
  $("crop-box").addEventListener("click", zoom);
  for (const id of ["f-urn", "f-question", "f-reason", "f-all"]) {
    $(id).addEventListener("change", () => applyFilters(true));
  }
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  try {
    state.all = await api("GET", "/api/answers");
  } catch (e) {
    setSaved("error", "Impossible de lire les réponses : " + e.message);
    return;
  }
  fillFilters();
  applyFilters(true);
  setSaved("saved", "");
  document.body.dataset.ready = "1";
  setInterval(refresh, 4000);
}

start();
