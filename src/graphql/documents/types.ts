import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { DocumentView } from '../../projections/documents/queries.js';
import { servedUserObject } from '../../projections/shared/user-object.js';
import { DateTime, JSONObject } from '../shared/scalars.js';

@ObjectType({
  description: 'An uploaded document. status: processing → ready | failed; "deleted" only in documentStatus.',
})
export class Document {
  @Field(() => ID) id!: number;
  @Field() filename!: string;
  @Field(() => ID) workspaceId!: number;
  @Field({ description: 'processing, ready or failed (deleted in the documentStatus subscription)' }) status!: string;
  @Field() pinned!: boolean;
  @Field() watched!: boolean;
  @Field(() => JSONObject) metadata!: Record<string, unknown>;
  @Field(() => Int, { description: 'Bytes' }) size!: number;
  @Field() mimeType!: string;
  @Field(() => Int) chunkCount!: number;
  @Field(() => String, { nullable: true, description: 'Why ingestion failed; null unless failed' }) error!:
    string | null;
  @Field(() => DateTime) createdAt!: string;
  @Field(() => DateTime) updatedAt!: string;

  static from(d: DocumentView): Document {
    return Object.assign(new Document(), {
      id: d.id,
      filename: d.filename,
      workspaceId: d.workspaceId,
      status: d.status,
      pinned: d.pinned,
      watched: d.watched,
      metadata: servedUserObject(d.metadata),
      size: d.size,
      mimeType: d.mimeType,
      chunkCount: d.chunkCount,
      error: d.status === 'failed' ? d.error : null,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    });
  }
}

@ObjectType()
export class BulkFailure {
  @Field(() => ID) id!: string;
  @Field() reason!: string;
}

@ObjectType({ description: 'What a bulk action did to each document.' })
export class BulkDocumentResult {
  @Field() action!: string;
  @Field(() => [ID]) succeeded!: number[];
  @Field(() => [BulkFailure]) failed!: BulkFailure[];
}
