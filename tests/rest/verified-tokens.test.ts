import { VerifiedTokens } from '../../src/rest/auth.js';

/** The REST authenticator's memo of access tokens whose signature was already checked. */
describe('VerifiedTokens', () => {
  const claims = { userId: 7, tokenVersion: 2 };
  const exp = 1_800_000_000; // seconds, as in a JWT

  it('answers the claims of a checked token until its expiry, as jsonwebtoken counts it', () => {
    const memo = new VerifiedTokens();
    memo.add('t1', claims, { exp });
    expect(memo.get('t1', exp * 1000 - 1)).toEqual(claims);
    // jsonwebtoken refuses once floor(now / 1000) >= exp: so must the memo, and it forgets the token.
    expect(memo.get('t1', exp * 1000)).toBeUndefined();
    expect(memo.size).toBe(0);
  });

  it('knows nothing of other tokens', () => {
    const memo = new VerifiedTokens();
    memo.add('t1', claims, { exp });
    expect(memo.get('t2', 0)).toBeUndefined();
  });

  it('keeps no token without a numeric exp, or with an nbf', () => {
    const memo = new VerifiedTokens();
    memo.add('no-exp', claims, {});
    memo.add('string-exp', claims, { exp: String(exp) });
    memo.add('nbf', claims, { exp, nbf: exp - 100 });
    expect(memo.size).toBe(0);
  });

  it('is bounded: past its size the oldest token goes first', () => {
    const memo = new VerifiedTokens(2);
    memo.add('a', claims, { exp });
    memo.add('b', claims, { exp });
    memo.add('c', claims, { exp });
    expect(memo.size).toBe(2);
    expect(memo.get('a', 0)).toBeUndefined();
    expect(memo.get('b', 0)).toEqual(claims);
    expect(memo.get('c', 0)).toEqual(claims);
  });
});
