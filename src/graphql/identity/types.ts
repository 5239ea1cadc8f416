import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { UserView } from '../../projections/users/queries.js';

@ObjectType()
export class User {
  @Field(() => ID) id!: number;
  @Field() username!: string;
  @Field() email!: string;
  @Field() role!: string;
  @Field() suspended!: boolean;
  @Field(() => Int, { nullable: true }) dailyMessageLimit!: number | null;
  @Field(() => DateTimeResolver) createdAt!: string;
  @Field(() => DateTimeResolver, { nullable: true }) lastLoginAt!: string | null;

  static from(u: UserView): User {
    return Object.assign(new User(), {
      id: u.id,
      username: u.username,
      email: u.email,
      role: u.role,
      suspended: u.suspended,
      dailyMessageLimit: u.daily_message_limit,
      createdAt: u.created_at,
      lastLoginAt: u.last_login_at,
    });
  }
}

@ObjectType()
export class AuthPayload {
  @Field() access!: string;
  @Field() refresh!: string;
  @Field(() => User) user!: User;
}

@ObjectType()
export class TokenPair {
  @Field() access!: string;
  @Field() refresh!: string;
}

@InputType()
export class RegisterInput {
  @Field() username!: string;
  @Field() email!: string;
  @Field() password!: string;
  @Field() passwordConfirm!: string;
}

@InputType()
export class UpdateUserInput {
  @Field({ nullable: true }) role?: string;
  @Field({ nullable: true }) suspended?: boolean;
  @Field(() => Int, { nullable: true }) dailyMessageLimit?: number | null;
}
