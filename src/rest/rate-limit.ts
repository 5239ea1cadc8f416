import { rateLimit } from 'express-rate-limit';

/** Per client address, for the unauthenticated endpoints that guess passwords or send mail. */
export const authRateLimit = (perMinute: number) => rateLimit({
  windowMs: 60_000,
  limit: perMinute,
  standardHeaders: 'draft-7',
  legacyHeaders: false,
  handler: (_req, res) => {
    res.status(429).json({ error: 'Too many authentication attempts. Please try again in a minute.' });
  },
});
