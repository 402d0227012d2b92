(function () {
  var m = window.__bench, d = m.dcl;
  var rel = function (v) { return v === undefined ? -1 : v - d; };
  var res = performance.getEntriesByType("resource").filter(function (e) {
    return /widget\.js|wasm_exec\.js|widget-core\.wasm/.test(e.name);
  }).map(function (e) {
    return { name: e.name.replace(/[?#].*$/, "").replace(/^.*\//, ""), start: e.startTime - d, end: e.responseEnd - d,
      transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize };
  });
  return { dcl: d, launcher: rel(m.launcher), launcherFrame: rel(m.launcherFrame), ready: rel(m.ready), ok: !!m.ok, resources: res };
})()
