import os from 'node:os';

function cpuTimes() {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    idle += cpu.times.idle;
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq + cpu.times.idle;
  }
  return { idle, total };
}

/** Whole-machine CPU use over a short sample, and memory, as the status endpoint reports them. */
export async function hostFigures(sampleMs = 100) {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, sampleMs));
  const b = cpuTimes();
  const busy = b.total - a.total - (b.idle - a.idle);
  const total = os.totalmem();
  return {
    platform: os.type(),
    cpu_count: os.cpus().length,
    cpu_percent: b.total > a.total ? Math.round((busy / (b.total - a.total)) * 1000) / 10 : 0,
    load_average: os.loadavg(),
    memory: { total, available: os.freemem(), percent: Math.round(((total - os.freemem()) / total) * 1000) / 10 },
    process_rss: process.memoryUsage().rss,
    uptime_seconds: Math.round(process.uptime()),
  };
}
