// A pack of model pages (models/p-XX.html of a packed build): the model sections are zlib-compressed
// JSON in #pack-data; the one the URL fragment names is inflated and shown, else the pack's list.
// The sections are HTML written by the site's autoescaped templates, the same as models/<id>.html
// of a build with one file per model. Works from file:// with no server (no fetch, no module).
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var model = $("pack-model"), list = $("pack-list"), note = $("pack-note");
  var listTitle = document.title, listNote = note.textContent;
  var sections = null;  // a promise of {anchor: [title, scripts, html]}, made on first use
  var loaded = {};      // assets/ scripts already run (model.js runs again for every section)

  function inflate() {
    if (sections === null) {
      var text = atob($("pack-data").textContent.trim());
      var bytes = new Uint8Array(text.length);
      for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
      sections = new Response(stream).text().then(JSON.parse);
    }
    return sections;
  }

  function script(name) {
    if (loaded[name] && name !== "model.js") { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      var element = document.createElement("script");
      element.src = "../assets/" + name;
      element.onload = function () { loaded[name] = true; resolve(); };
      element.onerror = function () { reject(new Error("cannot load assets/" + name)); };
      document.body.appendChild(element);
    });
  }

  function showList(message) {
    model.hidden = true;
    model.textContent = "";
    list.hidden = false;
    note.textContent = message || listNote;
    document.title = listTitle;
  }

  function show() {
    var anchor = window.location.hash.slice(1);
    if (!anchor) { showList(); return; }
    inflate().then(function (all) {
      if (anchor !== window.location.hash.slice(1)) { return; }  // the fragment changed meanwhile
      var section = Object.prototype.hasOwnProperty.call(all, anchor) ? all[anchor] : null;
      if (!section) { showList("No model page #" + anchor + " in this file. " + listNote); return; }
      document.title = section[0] + " · llmzoo";
      model.innerHTML = section[2];
      list.hidden = true;
      model.hidden = false;
      window.scrollTo(0, 0);
      return section[1].reduce(function (chain, name) {
        return chain.then(function () { return script(name); });
      }, Promise.resolve());
    }).catch(function (error) {
      console.error("llmzoo: " + error);
      showList("This model page could not be opened: " + error);
    });
  }

  window.addEventListener("hashchange", show);
  show();
})();
