// A failure-map worker: the app's own WebAssembly (the module the page has
// already compiled, sent in the first message, so nothing is fetched or
// compiled twice), answering one cell at a time. The page sends the next
// cell when this one is answered, so a stale map costs at most one cell.
let sweepCell = null;

self.onmessage = async (event) => {
  const message = event.data;
  if (message.glue) {
    try {
      const glue = await import(message.glue);
      await glue.default({ module_or_path: message.module });
      sweepCell = glue.sweepCell;
      self.postMessage({ ready: true });
    } catch (error) {
      self.postMessage({ failed: String(error) });
    }
    return;
  }
  let answer;
  const started = performance.now();
  try {
    answer = sweepCell(message.request);
  } catch (error) {
    answer = JSON.stringify({ trace_hash: '', values: [], problem: `the worker failed: ${error}` });
  }
  // Its own time, for the bench: Chromium cannot throttle a worker's CPU.
  self.postMessage({ id: message.id, answer, ms: performance.now() - started });
};
