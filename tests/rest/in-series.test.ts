/**
 * Middlewares run in series as one layer behave as express runs them one layer each: in order, ended by an
 * answer, failed by next(err), a throw or a rejection (also after an asynchronous next), never twice.
 */
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { inSeries } from '../../src/rest/in-series.js';

async function answerOf(handlers: RequestHandler[]): Promise<{ status: number; body: string }> {
  const app = express();
  app.use(inSeries(...handlers));
  app.use((_req, res) => {
    res.json({ reached: 'after', trail: res.locals.trail ?? [] });
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(500).json({ error: String((err as Error).message), trail: res.locals.trail ?? [] });
  };
  app.use(onError);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    return { status: res.status, body: await res.text() };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const mark =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.trail = [...(res.locals.trail ?? []), name];
    next();
  };

describe('inSeries', () => {
  it('given middlewares that pass on, then they run in order and the app goes on after them', async () => {
    const { status, body } = await answerOf([mark('a'), mark('b'), mark('c')]);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ reached: 'after', trail: ['a', 'b', 'c'] });
  });

  it('given one that answers, then the rest and the app after them do not run', async () => {
    const answer: RequestHandler = (_req, res) => {
      res.status(415).json({ trail: res.locals.trail });
    };
    const { status, body } = await answerOf([mark('a'), answer, mark('never')]);
    expect(status).toBe(415);
    expect(JSON.parse(body)).toEqual({ trail: ['a'] });
  });

  it('given next(err), a throw or a rejection, then the error handler answers', async () => {
    const failures: RequestHandler[] = [
      (_req, _res, next) => next(new Error('passed')),
      () => {
        throw new Error('thrown');
      },
      async () => {
        throw new Error('rejected');
      },
    ];
    for (const [i, fail] of failures.entries()) {
      const { status, body } = await answerOf([mark('a'), fail, mark('never')]);
      expect(status).toBe(500);
      expect(JSON.parse(body)).toEqual({ error: ['passed', 'thrown', 'rejected'][i], trail: ['a'] });
    }
  });

  it('given a middleware that passes on later (a body parser), then a throw after it still reaches the error handler', async () => {
    const later: RequestHandler = (_req, _res, next) => {
      setImmediate(() => next());
    };
    const thrower: RequestHandler = () => {
      throw new Error('after an asynchronous next');
    };
    const { status, body } = await answerOf([later, mark('b'), thrower]);
    expect(status).toBe(500);
    expect(JSON.parse(body)).toEqual({ error: 'after an asynchronous next', trail: ['b'] });
  });
});
