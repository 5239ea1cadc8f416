'use strict';
/**
 * In-process CPU profiling of a window (not start-up) through the inspector, driven over IPC by
 * lib-style children: {cmd: 'profile-start'} → {profiling}, {cmd: 'profile-stop', file} → {profiled}.
 * `install()` adds those two commands to a child's message handling.
 */
const fs = require('node:fs');
const inspector = require('node:inspector');

function profiler() {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    async start() {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
    },
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

function install() {
  let prof = null;
  process.on('message', async (m) => {
    try {
      if (m.cmd === 'profile-start') {
        prof = profiler();
        await prof.start();
        process.send({ profiling: true });
      } else if (m.cmd === 'profile-stop') {
        await prof.stop(m.file);
        prof = null;
        process.send({ profiled: m.file });
      }
    } catch (err) {
      process.send({ error: err && err.stack ? err.stack : String(err) });
    }
  });
}

module.exports = { profiler, install };
