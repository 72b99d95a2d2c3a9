// The models table of index.html: search, filters, sorting and paging over one JSON blob.
// Rows are built with textContent only (never innerHTML), so catalogue text stays text.
// The view state lives in the URL fragment, so "back" from a model page restores it.
(function () {
  "use strict";
  var blob = JSON.parse(document.getElementById("catalog-data").textContent);
  var F = {};
  blob.fields.forEach(function (name, i) { F[name] = i; });
  var rows = blob.rows;
  // what the search box looks in, and each row's page, made once here to keep the blob small
  var search = rows.map(function (row) {
    return [row[F.name], row[F.id], row[F.aliases], row[F.org], row[F.family]].join(" ").toLowerCase();
  });
  // a packed build (models in a few hundred files) gives each row's pack: models/p-<pack>.html#<id>
  rows.forEach(function (row) {
    if (!row[F.page]) {
      row[F.page] = F.pack === undefined ? "models/" + row[F.id] + ".html"
        : "models/p-" + row[F.pack] + ".html#" + row[F.id];
    }
  });

  var COLUMNS = [
    { key: "name", label: "Model", kind: "text" },
    { key: "org", label: "Organization", kind: "text" },
    { key: "released", label: "Released", kind: "text", firstDesc: true },
    { key: "arch", label: "Architecture", kind: "text" },
    { key: "params", label: "Parameters", kind: "num" },
    { key: "train_tokens", label: "Tokens", kind: "num", title: "training tokens" },
    { key: "compute", label: "FLOP", kind: "num", title: "training compute" },
    { key: "tokens_per_param", label: "Tokens/param", kind: "num", title: "training tokens per parameter" },
    { key: "context_window", label: "Context", kind: "num", title: "context window: the longest input the released model accepts, in tokens" },
    { key: "open_weights", label: "Open", kind: "bool", title: "open weights" }
  ];
  var DEFAULTS = { q: "", arch: "", org: "", year: "", open: "", sort: "released", dir: "desc", page: 0, size: 100 };
  var state = readHash();
  var order = null;  // row indexes in sort order (recomputed when the sort changes)
  var view = [];     // the rows passing the filters, in sort order

  var $ = function (id) { return document.getElementById(id); };
  var table = $("models");

  function readHash() {
    var out = Object.assign({}, DEFAULTS);
    try {
      var params = new URLSearchParams(window.location.hash.slice(1));
      params.forEach(function (value, key) { if (key in DEFAULTS) { out[key] = value; } });
    } catch (e) { /* an unreadable fragment means defaults */ }
    out.page = Math.max(0, parseInt(out.page, 10) || 0);
    out.size = [50, 100, 500].indexOf(parseInt(out.size, 10)) >= 0 ? parseInt(out.size, 10) : 100;
    if (!COLUMNS.some(function (c) { return c.key === out.sort; })) { out.sort = DEFAULTS.sort; }
    out.dir = out.dir === "asc" ? "asc" : "desc";
    return out;
  }

  function writeHash() {
    var params = new URLSearchParams();
    Object.keys(DEFAULTS).forEach(function (key) {
      if (String(state[key]) !== String(DEFAULTS[key])) { params.set(key, state[key]); }
    });
    var text = params.toString();
    try {
      window.history.replaceState(null, "", text ? "#" + text : window.location.pathname);
    } catch (e) { /* some file:// setups refuse; the state then just is not kept */ }
  }

  function sortKey(row, column) {
    var value = row[F[column.key]];
    if (column.kind === "num") { return value ? value[0] : null; }
    if (column.kind === "bool") { return value === true ? 1 : value === false ? 0 : null; }
    return value === "" || value === null || value === undefined ? null : String(value).toLowerCase();
  }

  function computeOrder() {
    var column = COLUMNS.filter(function (c) { return c.key === state.sort; })[0];
    var sign = state.dir === "asc" ? 1 : -1;
    var keys = rows.map(function (row) { return sortKey(row, column); });
    order = rows.map(function (_, i) { return i; });
    order.sort(function (a, b) {
      var ka = keys[a], kb = keys[b];
      if (ka === null || kb === null) {  // unknown values last, whatever the direction
        if (ka === kb) { return a - b; }
        return ka === null ? 1 : -1;
      }
      if (ka < kb) { return -sign; }
      if (ka > kb) { return sign; }
      return a - b;
    });
  }

  function year(row) { return row[F.released] ? row[F.released].slice(0, 4) : ""; }

  function matches(i, words) {
    var row = rows[i];
    if (state.arch && row[F.arch] !== state.arch) { return false; }
    if (state.org && row[F.org] !== state.org) { return false; }
    if (state.year && year(row) !== state.year) { return false; }
    if (state.open) {
      var open = row[F.open_weights];
      var label = open === true ? "yes" : open === false ? "no" : "unknown";
      if (label !== state.open) { return false; }
    }
    var text = search[i];
    for (var i = 0; i < words.length; i++) {
      if (text.indexOf(words[i]) < 0) { return false; }
    }
    return true;
  }

  function applyFilters() {
    if (order === null) { computeOrder(); }
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    view = order.filter(function (i) { return matches(i, words); });
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    if (state.page >= pages) { state.page = pages - 1; }
  }

  function cell(row, column) {
    var td = document.createElement("td");
    var value = row[F[column.key]];
    if (column.key === "name") {
      var link = document.createElement("a");
      link.href = row[F.page];
      link.textContent = value;
      td.appendChild(link);
      if (row[F.user]) {
        var badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = "user-added";
        td.appendChild(document.createTextNode(" "));
        td.appendChild(badge);
      }
    } else if (column.kind === "num") {
      var text = value ? value[1] : "";
      td.className = "num" + (text.charAt(0) === "~" ? " est" : text.charAt(0) === "=" ? " der" : text === "n/d" ? " nd" : "");
      td.textContent = text;
    } else if (column.kind === "bool") {
      td.textContent = value === true ? "yes" : value === false ? "no" : "";
    } else {
      td.textContent = value === null || value === undefined ? "" : value;
    }
    return td;
  }

  function renderHead() {
    var tr = table.tHead.rows[0];
    tr.textContent = "";
    COLUMNS.forEach(function (column) {
      var th = document.createElement("th");
      th.scope = "col";
      th.dataset.key = column.key;
      if (column.kind === "num") { th.className = "num"; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = column.label;
      button.title = "Sort by " + (column.title || column.label.toLowerCase());
      button.addEventListener("click", function () { sortBy(column); });
      th.appendChild(button);
      tr.appendChild(th);
    });
  }

  function render() {
    var start = state.page * state.size;
    var slice = view.slice(start, start + state.size);
    var body = document.createDocumentFragment();
    slice.forEach(function (i) {
      var row = rows[i];
      var tr = document.createElement("tr");
      tr.dataset.id = row[F.id];
      COLUMNS.forEach(function (column) { tr.appendChild(cell(row, column)); });
      body.appendChild(tr);
    });
    table.tBodies[0].replaceChildren(body);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      if (th.dataset.key === state.sort) {
        th.setAttribute("aria-sort", state.dir === "asc" ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    $("count").textContent = view.length === 0 ? "No model matches these filters." :
      "Showing " + (start + 1) + "–" + (start + slice.length) + " of " + view.length +
      (view.length === rows.length ? " models" : " matching models (" + rows.length + " in all)");
    $("page-info").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    $("pager").hidden = pages <= 1;
    writeHash();
  }

  function update(resetPage) {
    if (resetPage) { state.page = 0; }
    applyFilters();
    render();
  }

  function sortBy(column) {
    if (state.sort === column.key) {
      state.dir = state.dir === "asc" ? "desc" : "asc";
    } else {
      state.sort = column.key;
      state.dir = column.kind === "num" || column.firstDesc ? "desc" : "asc";
    }
    order = null;
    update(true);
  }

  function fillSelect(id, values) {
    var select = $(id);
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = String(value);
      option.textContent = String(value);
      select.appendChild(option);
    });
  }

  function distinct(get, descending) {
    var seen = {};
    rows.forEach(function (row) {
      var value = get(row);
      if (value !== null && value !== "" && value !== undefined) { seen[value] = true; }
    });
    var values = Object.keys(seen).sort(function (a, b) { return a.toLowerCase().localeCompare(b.toLowerCase()); });
    return descending ? values.reverse() : values;
  }

  function bindControls() {
    var controls = { "search": "q", "f-arch": "arch", "f-org": "org", "f-year": "year", "f-open": "open" };
    Object.keys(controls).forEach(function (id) { $(id).value = state[controls[id]]; });
    var timer = null;
    $("search").addEventListener("input", function (event) {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { state.q = event.target.value; update(true); }, 80);
    });
    ["f-arch", "f-org", "f-year", "f-open"].forEach(function (id) {
      $(id).addEventListener("change", function (event) { state[controls[id]] = event.target.value; update(true); });
    });
    $("page-size").value = String(state.size);
    $("page-size").addEventListener("change", function (event) {
      state.size = parseInt(event.target.value, 10);
      update(true);
    });
    $("prev").addEventListener("click", function () { state.page -= 1; update(false); });
    $("next").addEventListener("click", function () { state.page += 1; update(false); });
    $("reset").addEventListener("click", function () {
      state = Object.assign({}, DEFAULTS);
      Object.keys(controls).forEach(function (id) { $(id).value = ""; });
      $("page-size").value = String(state.size);
      order = null;
      update(true);
    });
  }

  fillSelect("f-arch", distinct(function (row) { return row[F.arch]; }));
  fillSelect("f-org", distinct(function (row) { return row[F.org]; }));
  fillSelect("f-year", distinct(year, true));
  renderHead();
  bindControls();
  update(false);
})();
