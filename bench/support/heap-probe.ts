// Preloaded (`--import`) into a server under benchmark: on an IPC 'heap' message it runs a full
// GC and answers with the heap in use, so a benchmark can see whether the heap stays flat.
process.on('message', (message) => {
  if (message !== 'heap') return;
  (globalThis as { gc?: () => void }).gc?.();
  process.send?.({ heapUsed: process.memoryUsage().heapUsed });
});
