import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { ApiKeyView } from '../../projections/api-keys/queries.js';
import type { InviteView } from '../../projections/invites/queries.js';
import { DateTime } from '../shared/scalars.js';

@ObjectType({ description: 'A key as lists show it: masked (`sk_live_...abcd`).' })
export class ApiKey {
  @Field(() => ID) id!: number;
  @Field({ description: 'Masked; the secret is shown only when the key is generated.' }) key!: string;
  @Field(() => ID) userId!: number;
  @Field(() => DateTime) createdAt!: string;

  static from(k: ApiKeyView): ApiKey {
    return Object.assign(new ApiKey(), { id: k.id, key: k.key, userId: k.user, createdAt: k.created_at });
  }
}

@ObjectType({ description: 'The one time a key secret is shown.' })
export class GeneratedApiKey {
  @Field() key!: string;
  @Field(() => ID) id!: number;
  @Field() message!: string;
}

@ObjectType()
export class ApiKeyVerification {
  @Field() valid!: boolean;
  @Field(() => ID, { nullable: true }) id!: number | null;
}

@ObjectType()
export class Invite {
  @Field(() => ID) id!: number;
  @Field() code!: string;
  @Field({ description: 'pending, claimed or disabled' }) status!: string;
  @Field(() => [ID]) workspaceIds!: number[];
  @Field(() => ID) createdBy!: number;
  @Field(() => ID, { nullable: true }) claimedBy!: number | null;
  @Field(() => DateTime) createdAt!: string;
  @Field(() => DateTime, { nullable: true }) claimedAt!: string | null;

  static from(i: InviteView): Invite {
    return Object.assign(new Invite(), {
      id: i.id,
      code: i.code,
      status: i.status,
      workspaceIds: i.workspace_ids,
      createdBy: i.created_by,
      claimedBy: i.claimed_by,
      createdAt: i.created_at,
      claimedAt: i.claimed_at,
    });
  }
}

@InputType()
export class ClaimInviteInput {
  @Field() code!: string;
  @Field() username!: string;
  @Field() password!: string;
  @Field() email!: string;
}
