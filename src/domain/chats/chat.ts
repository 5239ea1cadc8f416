import type { Decider } from '../shared/decider.js';
import { conflict, forbidden, invalid, notFound } from '../shared/errors.js';
import type { Role } from '../identity/roles.js';
import type { ChatEvent, ChatMode, ChatSource } from './events.js';

export type ChatState =
  | { status: 'none' }
  | {
      status: 'requested' | 'completed' | 'failed';
      chatId: number;
      workspaceId: number;
      threadId: number | null;
      userId: number;
      mode: ChatMode;
    };

export interface ChatActor {
  userId: number;
  role: Role;
}

/** Membership of the workspace and the thread's place in it are checked by the handler, from their own streams. */
export type ChatCommand =
  | {
      type: 'RequestChat';
      actor: ChatActor;
      chatId: number;
      workspaceId: number;
      threadId: number | null;
      prompt: string;
      mode: ChatMode;
      now: Date;
    }
  | { type: 'CompleteChat'; response: string; sources: ChatSource[]; now: Date }
  | { type: 'FailChat'; reason: string; now: Date }
  | { type: 'GiveFeedback'; actor: ChatActor; feedback: boolean; comment: string | null; now: Date };

export function decide(command: ChatCommand, state: ChatState): ChatEvent[] {
  const at = command.now.toISOString();
  if (command.type === 'RequestChat') {
    if (state.status !== 'none') throw conflict('Chat already exists.');
    const { chatId, workspaceId, threadId, prompt, mode } = command;
    return [
      {
        type: 'ChatRequested',
        data: { chatId, workspaceId, threadId, userId: command.actor.userId, prompt, mode, at },
      },
    ];
  }
  if (state.status === 'none') throw notFound();
  const { chatId, workspaceId } = state;
  switch (command.type) {
    case 'CompleteChat':
      if (state.status !== 'requested') throw conflict('This chat has already ended.');
      return [
        {
          type: 'ChatCompleted',
          data: { chatId, workspaceId, response: command.response, sources: command.sources, at },
        },
      ];
    case 'FailChat':
      if (state.status !== 'requested') throw conflict('This chat has already ended.');
      return [{ type: 'ChatFailed', data: { chatId, workspaceId, reason: command.reason, at } }];
    case 'GiveFeedback':
      // One's own chats, or any for an admin.
      if (command.actor.userId !== state.userId && command.actor.role !== 'admin') throw forbidden();
      if (state.status !== 'completed')
        throw invalid('Only a completed chat can be rated.', { chat_id: ['This chat has no answer to rate.'] });
      return [
        {
          type: 'ChatFeedbackGiven',
          data: { chatId, workspaceId, feedback: command.feedback, comment: command.comment, at },
        },
      ];
  }
}

export function evolve(state: ChatState, event: ChatEvent): ChatState {
  switch (event.type) {
    case 'ChatRequested': {
      const { chatId, workspaceId, threadId, userId, mode } = event.data;
      return { status: 'requested', chatId, workspaceId, threadId, userId, mode };
    }
    case 'ChatCompleted':
      return state.status === 'none' ? state : { ...state, status: 'completed' };
    case 'ChatFailed':
      return state.status === 'none' ? state : { ...state, status: 'failed' };
    case 'ChatFeedbackGiven':
      return state;
  }
}

export const chatDecider: Decider<ChatState, ChatCommand, ChatEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
