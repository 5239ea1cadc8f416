import { chatDecider } from '../../../src/domain/chats/chat.js';
import type { ChatEvent } from '../../../src/domain/chats/events.js';
import { specFor } from '../given-when-then.js';

const given = specFor(chatDecider);
const now = new Date('2026-03-04T05:06:07.000Z');
const at = now.toISOString();
const author = { userId: 3, role: 'default' as const };
const otherMember = { userId: 4, role: 'default' as const };
const manager = { userId: 2, role: 'manager' as const };
const admin = { userId: 1, role: 'admin' as const };

const requested: ChatEvent = {
  type: 'ChatRequested',
  data: {
    chatId: 7,
    workspaceId: 9,
    threadId: null,
    userId: 3,
    prompt: 'What is the refund period?',
    mode: 'query',
    at,
  },
};
const sources = [{ documentId: 40, filename: 'policy.md', chunk: 2, score: 0.8 }];
const completed: ChatEvent = {
  type: 'ChatCompleted',
  data: { chatId: 7, workspaceId: 9, response: 'Thirty days.', sources, at },
};
const failed: ChatEvent = {
  type: 'ChatFailed',
  data: { chatId: 7, workspaceId: 9, reason: 'The model is unavailable.', at },
};

describe('chat decider', () => {
  it('records the question as asked', () =>
    given([])
      .when({
        type: 'RequestChat',
        actor: author,
        chatId: 7,
        workspaceId: 9,
        threadId: null,
        prompt: 'What is the refund period?',
        mode: 'query',
        now,
      })
      .then([requested]));

  it('never asks the same chat twice', () =>
    given([requested])
      .when({
        type: 'RequestChat',
        actor: author,
        chatId: 7,
        workspaceId: 9,
        threadId: null,
        prompt: 'Again?',
        mode: 'chat',
        now,
      })
      .thenThrows('conflict'));

  it('completes a requested chat with the whole answer and its sources', () =>
    given([requested]).when({ type: 'CompleteChat', response: 'Thirty days.', sources, now }).then([completed]));

  it('records a failure with its reason', () =>
    given([requested]).when({ type: 'FailChat', reason: 'The model is unavailable.', now }).then([failed]));

  it('ends a chat only once', () => {
    given([requested, completed]).when({ type: 'FailChat', reason: 'late', now }).thenThrows('conflict');
    given([requested, failed])
      .when({ type: 'CompleteChat', response: 'late', sources: [], now })
      .thenThrows('conflict');
  });

  it('cannot complete a chat that was never asked', () =>
    given([]).when({ type: 'CompleteChat', response: 'x', sources: [], now }).thenThrows('not_found'));

  it('takes feedback from the author', () =>
    given([requested, completed])
      .when({ type: 'GiveFeedback', actor: author, feedback: true, comment: 'Helpful', now })
      .then([
        { type: 'ChatFeedbackGiven', data: { chatId: 7, workspaceId: 9, feedback: true, comment: 'Helpful', at } },
      ]));

  it("takes feedback on anyone's chat from an admin", () =>
    given([requested, completed])
      .when({ type: 'GiveFeedback', actor: admin, feedback: false, comment: null, now })
      .then([{ type: 'ChatFeedbackGiven', data: { chatId: 7, workspaceId: 9, feedback: false, comment: null, at } }]));

  it("refuses feedback on someone else's chat from members and managers", () => {
    given([requested, completed])
      .when({ type: 'GiveFeedback', actor: otherMember, feedback: true, comment: null, now })
      .thenThrows('forbidden');
    given([requested, completed])
      .when({ type: 'GiveFeedback', actor: manager, feedback: true, comment: null, now })
      .thenThrows('forbidden');
  });

  it('has nothing to rate before the answer, or after a failure', () => {
    given([requested])
      .when({ type: 'GiveFeedback', actor: author, feedback: true, comment: null, now })
      .thenThrows('validation', 'chat_id');
    given([requested, failed])
      .when({ type: 'GiveFeedback', actor: author, feedback: true, comment: null, now })
      .thenThrows('validation', 'chat_id');
  });

  it('finds no chat to rate that does not exist', () =>
    given([]).when({ type: 'GiveFeedback', actor: admin, feedback: true, comment: null, now }).thenThrows('not_found'));
});
