/**
 * Waits until `done()` holds, polling, for things another process or the server finishes
 * in its own time (cleaning up an aborted upload, reloading on SIGHUP, taking a lock). A
 * fixed sleep would fail on a loaded CI machine; the assertion that follows still decides.
 */
export async function eventually(done: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
