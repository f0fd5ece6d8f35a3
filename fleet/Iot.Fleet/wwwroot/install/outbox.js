// What the installer did while the phone had no signal (a basement, a rooftop): the claim or the sign-off is kept in
// the phone's IndexedDB and sent, in the order it was made, when the signal comes back (the `online` event, a retry
// every 30 s, or the next time the page opens). Each request carries an Idempotency-Key made when it was first tried,
// so one whose answer was lost on the way is not done twice by the fleet (Api/IdempotencyKey). Load after i18n.js.
const Outbox = (() => {
  const database = () => new Promise((resolve, reject) => {
    const request = indexedDB.open("iot-install", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const inStore = async (mode, work) => {
    const db = await database();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("outbox", mode);
      const request = work(tx.objectStore("outbox"));
      tx.oncomplete = () => { db.close(); resolve(request.result); };
      tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
    });
  };
  const waiting = () => inStore("readonly", s => s.getAll()); // in key order: the order they were made
  const keep = item => inStore("readwrite", s => s.add(item));
  const drop = id => inStore("readwrite", s => s.delete(id));

  const newKey = () => crypto.randomUUID?.() ?? Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, "0")).join("");
  // The request never reached the fleet, or its answer never came back: fetch throws (no answer at all) or the phone knows it is offline.
  const unreachable = e => e instanceof TypeError || !navigator.onLine;
  const send = item => api(item.path, { method: "POST", body: item.body, headers: { "Idempotency-Key": item.key } });

  let handlers = { sent() {}, refused() {}, changed() {}, signIn() {} };
  let flushing = null;

  /// Sends a POST now, or keeps it when there is no signal or earlier ones still wait (they go first).
  /// Answers { answer } once sent, { queued: true } when kept; a refusal by the fleet throws as api() does.
  async function post(kind, path, body, subject) {
    const item = { kind, path, body, subject, key: newKey(), at: new Date().toISOString() };
    if (navigator.onLine && (await waiting()).length === 0) {
      try { return { answer: await send(item) }; } catch (e) { if (!unreachable(e)) throw e; }
    }
    await keep(item);
    handlers.changed();
    flush();
    return { queued: true };
  }

  /// Sends what waits, oldest first, one at a time; stops at the first that still cannot get through.
  function flush() {
    // One sender at a time, also across tabs of this page (the Web Locks API where the browser has it).
    const run = async () => {
      for (const item of await waiting()) {
        let answer;
        try {
          answer = await send(item);
        } catch (e) {
          if (unreachable(e)) break;
          if (e.status === 401) { handlers.signIn(); break; } // kept: sent once the installer has signed in again
          await drop(item.id);
          handlers.refused(item, e);
          continue;
        }
        await drop(item.id);
        handlers.sent(item, answer);
      }
    };
    return flushing ??= (navigator.locks ? navigator.locks.request("iot-install-outbox", run) : run())
      .catch(() => {}).finally(() => { flushing = null; handlers.changed(); });
  }

  /// Starts sending on the signal's return and every 30 s while something waits; `on` receives what happened.
  function start(on) {
    handlers = { ...handlers, ...on };
    addEventListener("online", flush);
    setInterval(async () => { if ((await waiting()).length) flush(); }, 30_000);
    return flush();
  }

  return { post, flush, start, waiting };
})();
