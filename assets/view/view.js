// acc view: the one script of every page. It only folds and unfolds, filters and searches; it never
// turns record text into markup (textContent only) and loads nothing but the site's own search shards.
(function () {
  "use strict";

  // Expand / collapse every folded block of the section the button is in; evidence-only toggle on samples.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
    if (!button) return;
    var scope = button.closest(".part") || document.querySelector("main");
    var action = button.getAttribute("data-action");
    if (action === "expand" || action === "collapse") {
      scope.querySelectorAll("details").forEach(function (d) {
        d.open = action === "expand";
      });
    } else if (action === "only-evidence") {
      var pressed = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(pressed));
      scope.querySelectorAll(".documents").forEach(function (list) {
        list.classList.toggle("only-evidence", pressed);
      });
    }
  });

  // A link to an anchor inside folded blocks (#m-12, #step-3) opens them.
  function revealHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    for (var node = target; node; node = node.parentElement) if (node.tagName === "DETAILS") node.open = true;
    if (target) target.scrollIntoView();
  }
  window.addEventListener("hashchange", revealHash);
  if (location.hash && location.hash.indexOf("#search?") !== 0) revealHash();

  // Search and filters of a section: the shards (one per list page) are loaded one at a time, scanned
  // and dropped, so neither the page nor the site needs memory in proportion to the whole input.
  var form = document.querySelector("form.search");
  if (!form) return;
  var pages = Number(form.getAttribute("data-pages")) || 0;
  var root = form.getAttribute("data-root") || "";
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var listing = document.querySelector(".listing");
  var SHOW = 100;
  var waiting = {};
  var run = null;

  window.accShard = function (page, rows) {
    var resolve = waiting[page];
    if (resolve) {
      delete waiting[page];
      resolve(Array.isArray(rows) ? rows : []);
    }
  };

  function loadShard(page) {
    return new Promise(function (resolve) {
      waiting[page] = resolve;
      var script = document.createElement("script");
      script.src = "search/" + page + ".js";
      script.onload = script.onerror = function () {
        script.remove();
        if (waiting[page]) {
          delete waiting[page];
          resolve([]);
        }
      };
      document.head.appendChild(script);
    });
  }

  function readQuery() {
    var data = new FormData(form);
    var value = function (name) {
      var v = data.get(name);
      return typeof v === "string" ? v.trim() : "";
    };
    return { q: value("q"), domain: value("domain"), outcome: value("outcome"), min: value("min"), max: value("max") };
  }

  function matcher(query) {
    var words = query.q.toLowerCase().split(/\s+/).filter(Boolean);
    var min = query.min === "" ? -Infinity : Number(query.min);
    var max = query.max === "" ? Infinity : Number(query.max);
    var ranged = query.min !== "" || query.max !== "";
    return function (row) {
      // row: [path, title, domain, length, outcome, text]
      if (query.domain && (row[2] || "(none)") !== query.domain) return false;
      if (query.outcome && (row[4] || "(none)") !== query.outcome) return false;
      if (ranged && (typeof row[3] !== "number" || row[3] < min || row[3] > max)) return false;
      if (words.length === 0) return true;
      var hay = (row[1] + " " + row[2] + " " + row[4] + " " + row[5] + " " + row[0]).toLowerCase();
      return words.every(function (w) {
        return hay.indexOf(w) !== -1;
      });
    };
  }

  var SAFE_PATH = /^site\/[a-z0-9/._-]+(#[A-Za-z0-9._-]+)?$/;

  function resultRow(row, number) {
    var tr = document.createElement("tr");
    var cells = [String(number), null, row[2], row[3] === null ? "" : Number(row[3]).toLocaleString("en-US"), row[4]];
    cells.forEach(function (text, i) {
      var td = document.createElement("td");
      if (i === 1) {
        var a = document.createElement("a");
        a.textContent = row[1];
        if (typeof row[0] === "string" && SAFE_PATH.test(row[0])) a.href = root + row[0];
        td.appendChild(a);
      } else td.textContent = text;
      tr.appendChild(td);
    });
    return tr;
  }

  function startSearch(query) {
    var match = matcher(query);
    var state = { page: 1, found: 0, scanned: 0, shown: 0, cancelled: false, body: null, more: null };
    if (run) run.cancelled = true;
    run = state;
    results.textContent = "";
    var table = document.createElement("table");
    var head = table.createTHead().insertRow();
    ["#", "record", "domain", listing ? listing.querySelector("th:nth-child(4)").textContent : "length", "outcome"].forEach(function (label) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = label;
      head.appendChild(th);
    });
    state.body = table.createTBody();
    results.appendChild(table);
    state.more = document.createElement("button");
    state.more.type = "button";
    state.more.textContent = "Show more results";
    state.more.hidden = true;
    state.more.addEventListener("click", function () {
      state.more.hidden = true;
      scan(state, match);
    });
    results.appendChild(state.more);
    results.hidden = false;
    if (listing) listing.hidden = true;
    scan(state, match);
  }

  function scan(state, match) {
    var budget = SHOW;
    function next() {
      if (state.cancelled) return;
      if (state.page > pages || budget <= 0) return finish();
      status.textContent = "Searching… page " + state.page + " of " + pages + ", " + state.found + " found";
      loadShard(state.page).then(function (rows) {
        if (state.cancelled) return;
        rows.forEach(function (row) {
          state.scanned++;
          if (!match(row)) return;
          state.found++;
          if (budget > 0) {
            state.body.appendChild(resultRow(row, ++state.shown));
            budget--;
          }
        });
        state.page++;
        next();
      });
    }
    function finish() {
      var done = state.page > pages;
      state.more.hidden = done;
      status.textContent =
        (state.shown === 0 && done ? "No record matches" : "Showing " + state.shown + " of " + state.found + (done ? "" : "+") + " matching records") +
        " (" + state.scanned + " records searched" + (done ? "" : ", " + (pages - state.page + 1) + " pages left") + ").";
    }
    next();
  }

  function toHash(query) {
    var params = new URLSearchParams();
    Object.keys(query).forEach(function (k) {
      if (query[k]) params.set(k, query[k]);
    });
    return "#search?" + params.toString();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = readQuery();
    history.replaceState(null, "", toHash(query));
    startSearch(query);
  });
  form.addEventListener("reset", function () {
    if (run) run.cancelled = true;
    results.hidden = true;
    results.textContent = "";
    status.textContent = "";
    if (listing) listing.hidden = false;
    history.replaceState(null, "", location.pathname);
  });

  // A search in the address (#search?domain=sql&q=…) runs on load, so a filtered list can be linked.
  if (location.hash.indexOf("#search?") === 0) {
    var params = new URLSearchParams(location.hash.slice("#search?".length));
    ["q", "domain", "outcome", "min", "max"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && params.has(name)) field.value = params.get(name);
    });
    startSearch(readQuery());
  }
})();
