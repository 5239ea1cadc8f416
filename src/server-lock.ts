import fs from 'node:fs';
import path from 'node:path';

/**
 * The embedded read store lives in the server's memory: a replay while that server runs would be
 * overwritten by it. The server leaves its pid in DATA_DIR; tools that rewrite read models check it.
 */
const lockFile = (dataDir: string) => path.join(dataDir, 'server.pid');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function holdServerLock(dataDir: string): () => void {
  const file = lockFile(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, String(process.pid));
  return () => fs.rmSync(file, { force: true });
}

export function assertServerStopped(dataDir: string): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lockFile(dataDir), 'utf8'));
  } catch {
    return;
  }
  if (pid !== process.pid && alive(pid)) {
    throw new Error(
      `A Chronicle server (pid ${pid}) is using ${dataDir}; stop it before replaying the embedded read models.`,
    );
  }
}
