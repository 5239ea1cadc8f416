/** Password rules in the spirit of Django's validators; each broken rule yields one message. */
const MIN_LENGTH = 8;

// The most common leaked passwords: reusing one is refused even when it passes the other rules.
const COMMON_PASSWORDS = new Set([
  'password',
  'password1',
  'password12',
  'password123',
  'password1234',
  '12345678',
  '123456789',
  '1234567890',
  'qwerty123',
  'qwertyuiop',
  '11111111',
  '00000000',
  'iloveyou',
  'iloveyou1',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'welcome1',
  'welcome123',
  'admin123',
  'administrator',
  'letmein1',
  'passw0rd',
  'abc12345',
  'abcd1234',
  'trustno1',
  'superman',
  'starwars',
  'whatever',
  'changeme',
  'qwerty12',
]);

export function passwordProblems(password: string, username?: string): string[] {
  const problems: string[] = [];
  if (password.length < MIN_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${MIN_LENGTH} characters.`);
  }
  if (/^\d+$/.test(password)) problems.push('This password is entirely numeric.');
  if (COMMON_PASSWORDS.has(password.toLowerCase())) problems.push('This password is too common.');
  if (username && username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) {
    problems.push('The password is too similar to the username.');
  }
  return problems;
}
