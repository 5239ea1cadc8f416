import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { EventLogView } from '../../projections/event-logs/queries.js';
import { DateTime, JSON, JSONObject } from '../shared/scalars.js';

@ObjectType()
export class EventLog {
  @Field(() => ID, { description: 'The global position of the event' }) id!: number;
  @Field({ description: "AnythingLLM's name for it, e.g. login_event" }) event!: string;
  @Field({ description: 'The domain event type, e.g. UserLoggedIn' }) type!: string;
  @Field(() => JSONObject) metadata!: Record<string, unknown>;
  @Field(() => ID, { nullable: true }) userId!: number | null;
  @Field(() => DateTime) occurredAt!: string;

  static from(e: EventLogView): EventLog {
    return Object.assign(new EventLog(), {
      id: e.id,
      event: e.event,
      type: e.type,
      metadata: e.metadata,
      userId: e.user_id,
      occurredAt: e.occurred_at,
    });
  }
}

@ObjectType({ description: 'An entry of the event log, pushed as it is recorded.' })
export class AuditEvent extends EventLog {
  static from(e: EventLogView): AuditEvent {
    return Object.assign(new AuditEvent(), EventLog.from(e));
  }
}

@ObjectType()
export class Setting {
  @Field() label!: string;
  /** null for a setting left to the server's configuration (llm_provider). */
  @Field(() => JSON, { nullable: true }) value!: unknown;
  @Field(() => DateTime, { nullable: true }) updatedAt!: string | null;
}

@ObjectType()
export class SetupState {
  @Field() setupComplete!: boolean;
  @Field() multiUserMode!: boolean;
  @Field() allowRegistration!: boolean;
  @Field(() => Int) userCount!: number;
}
