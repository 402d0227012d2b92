
// Appended to TinyGo's wasm_exec.js by `make web` (CORE_COMPILER=tinygo).
//
// TinyGo has no finalizers, so wasm_exec.js's table keeps every value the Go
// side was handed until Go frees it (wasm/free.go). The core frees what it
// reads; two values of every callback it cannot reach: syscall/js's
// handleEvent reads the event object and its arguments object, and drops
// them when it returns. This wrapper is TinyGo's own _makeFuncWrapper plus
// freeing those two once the callback has run.
(() => {
  const forget = (go, v) => {
    const id = go._ids.get(v);
    if (id === undefined) return;
    if (--go._goRefCounts[id] === 0) {
      go._values[id] = null;
      go._ids.delete(v);
      go._idPool.push(id);
    }
  };
  Go.prototype._makeFuncWrapper = function (id) {
    const go = this;
    return function () {
      const event = { id: id, this: this, args: arguments };
      go._pendingEvent = event;
      go._resume();
      forget(go, event);
      forget(go, arguments);
      return event.result;
    };
  };
})();
