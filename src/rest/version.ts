import fs from 'node:fs';
import path from 'node:path';

/** The package version, read once (from src/ under tests, from dist/ when built). */
export const APP_VERSION: string = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'),
).version;
