import type { WorkspaceEvent } from '../../../src/domain/workspaces/events.js';
import { DEFAULT_WORKSPACE_SETTINGS, slugCandidate, slugify } from '../../../src/domain/workspaces/settings.js';
import { threadDecider } from '../../../src/domain/workspaces/thread.js';
import { workspaceDecider } from '../../../src/domain/workspaces/workspace.js';
import { specFor } from '../given-when-then.js';

const given = specFor(workspaceDecider);
const now = new Date('2026-03-04T05:06:07.000Z');
const at = now.toISOString();
const admin = { userId: 1, role: 'admin' as const };
const manager = { userId: 2, role: 'manager' as const };
const member = { userId: 3, role: 'default' as const };
const outsider = { userId: 4, role: 'default' as const };

const created: WorkspaceEvent = {
  type: 'WorkspaceCreated',
  data: { workspaceId: 9, name: 'Docs', slug: 'docs', settings: DEFAULT_WORKSPACE_SETTINGS, createdBy: 1, at },
};
const joined: WorkspaceEvent = { type: 'WorkspaceMemberAdded', data: { workspaceId: 9, userId: 3, at } };

describe('workspace decider', () => {
  it('lets an admin or a manager create a workspace', () => {
    for (const actor of [admin, manager]) {
      given([])
        .when({
          type: 'CreateWorkspace',
          actor,
          workspaceId: 9,
          name: 'Docs',
          slug: 'docs',
          settings: DEFAULT_WORKSPACE_SETTINGS,
          now,
        })
        .then([
          {
            type: 'WorkspaceCreated',
            data: {
              workspaceId: 9,
              name: 'Docs',
              slug: 'docs',
              settings: DEFAULT_WORKSPACE_SETTINGS,
              createdBy: actor.userId,
              at,
            },
          },
        ]);
    }
  });

  it('refuses to let a default user create one', () =>
    given([])
      .when({
        type: 'CreateWorkspace',
        actor: member,
        workspaceId: 9,
        name: 'Docs',
        slug: 'docs',
        settings: DEFAULT_WORKSPACE_SETTINGS,
        now,
      })
      .thenThrows('forbidden'));

  it('records only settings that change, and the prompt change under its own name too', () =>
    given([created])
      .when({
        type: 'UpdateWorkspace',
        actor: admin,
        changes: { topN: 4, openaiTemp: 0.2, openaiPrompt: 'Be brief.' },
        now,
      })
      .then([
        {
          type: 'WorkspaceUpdated',
          data: { workspaceId: 9, changes: { openaiTemp: 0.2, openaiPrompt: 'Be brief.' }, at },
        },
        { type: 'WorkspacePromptChanged', data: { workspaceId: 9, previous: null, prompt: 'Be brief.', at } },
      ]));

  it('records nothing when nothing changes', () =>
    given([created])
      .when({ type: 'UpdateWorkspace', actor: admin, changes: { name: 'Docs', topN: 4 }, now })
      .then([]));

  it('hides a workspace from a default user who is not a member, and forbids changes by a member', () => {
    given([created])
      .when({ type: 'UpdateWorkspace', actor: outsider, changes: { topN: 2 }, now })
      .thenThrows('not_found');
    given([created, joined])
      .when({ type: 'UpdateWorkspace', actor: member, changes: { topN: 2 }, now })
      .thenThrows('forbidden');
  });

  it('adds a member once, and removes only members', () => {
    given([created]).when({ type: 'AddMember', actor: manager, userId: 3, now }).then([joined]);
    given([created, joined]).when({ type: 'AddMember', actor: manager, userId: 3, now }).then([]);
    given([created]).when({ type: 'RemoveMember', actor: admin, userId: 3, now }).thenThrows('not_found');
    given([created, joined])
      .when({ type: 'RemoveMember', actor: admin, userId: 3, now })
      .then([{ type: 'WorkspaceMemberRemoved', data: { workspaceId: 9, userId: 3, at } }]);
  });

  it('knows no deleted workspace', () =>
    given([created, { type: 'WorkspaceDeleted', data: { workspaceId: 9, slug: 'docs', at } }])
      .when({ type: 'UpdateWorkspace', actor: admin, changes: { topN: 2 }, now })
      .thenThrows('not_found'));
});

describe('thread decider', () => {
  const givenThread = specFor(threadDecider);
  const opened = {
    type: 'ThreadCreated' as const,
    data: { threadId: 5, workspaceId: 9, name: 'Q', slug: 'q-5', userId: 3, at },
  };

  it('opens a thread for its creator', () =>
    givenThread([])
      .when({ type: 'CreateThread', actor: member, threadId: 5, workspaceId: 9, name: 'Q', slug: 'q-5', now })
      .then([opened]));

  it('lets the owner or a manager rename it, no one else', () => {
    givenThread([opened])
      .when({ type: 'RenameThread', actor: member, workspaceId: 9, name: 'R', now })
      .then([{ type: 'ThreadRenamed', data: { threadId: 5, workspaceId: 9, name: 'R', at } }]);
    givenThread([opened])
      .when({ type: 'RenameThread', actor: manager, workspaceId: 9, name: 'R', now })
      .then([{ type: 'ThreadRenamed', data: { threadId: 5, workspaceId: 9, name: 'R', at } }]);
    givenThread([opened])
      .when({ type: 'RenameThread', actor: outsider, workspaceId: 9, name: 'R', now })
      .thenThrows('forbidden');
  });

  it('does not find a thread through another workspace', () =>
    givenThread([opened]).when({ type: 'DeleteThread', actor: admin, workspaceId: 10, now }).thenThrows('not_found'));
});

describe('slugs', () => {
  it.each([
    ['My Workspace', 'my-workspace'],
    ['  Ünïcödé — Notes!  ', 'unicode-notes'],
    ['***', 'workspace'],
    ['a'.repeat(80), 'a'.repeat(60)],
  ])('%p → %p', (name, slug) => expect(slugify(name)).toBe(slug));

  it('suffixes taken slugs from -2 on', () =>
    expect([0, 1, 2].map((n) => slugCandidate('docs', n))).toEqual(['docs', 'docs-2', 'docs-3']));
});
