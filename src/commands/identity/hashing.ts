import argon2 from 'argon2';

// OWASP's recommended argon2id floor (19 MiB, 2 passes, 1 lane): strong, and tens of milliseconds rather than
// the library default's hundreds on a 2-core machine, where every login and registration pays it.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, OPTIONS);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
