import { Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { forbidden } from '../../domain/shared/errors.js';
import { type GraphQLContext, requireActor } from '../context.js';
import { DateTime } from '../shared/scalars.js';

@ObjectType({
  description:
    'The head of the hash chain, signed: `signature` (base64 Ed25519) covers `chronicle-audit-head\\n<position>\\n<hash>\\n<signedAt>`.',
})
export class AuditHead {
  @Field(() => Int, { description: 'Global position of the newest chained event (0 before the first)' })
  position!: number;
  @Field(() => String, { nullable: true, description: "That event's chain hash; null when it predates the chain" })
  hash!: string | null;
  @Field() signature!: string;
  @Field(() => DateTime) signedAt!: string;
}

function requireAdmin(ctx: GraphQLContext) {
  if (requireActor(ctx).role !== 'admin') throw forbidden();
}

/** GraphQL twins of GET /api/system/audit/head/ and /public-key/. */
@Resolver()
export class AuditResolver {
  @Query(() => AuditHead, { description: 'Admins only. The newest chained event, signed.' })
  async auditHead(@Ctx() ctx: GraphQLContext): Promise<AuditHead> {
    requireAdmin(ctx);
    const head = await ctx.deps.audit.signedHead(ctx.deps.store);
    return Object.assign(new AuditHead(), {
      position: head.position,
      hash: head.hash,
      signature: head.signature,
      signedAt: head.signed_at,
    });
  }

  @Query(() => String, { description: 'Admins only. The Ed25519 public key that signs audit heads, SPKI PEM.' })
  auditPublicKey(@Ctx() ctx: GraphQLContext): string {
    requireAdmin(ctx);
    return ctx.deps.audit.publicKeyPem();
  }
}
