/** What the projection runner publishes after each batch: read models now include `position`. */
export const PROJECTIONS_CHANNEL = 'chronicle.projections';

export interface ProgressNotice {
  position: number;
  events: { position: number; type: string; stream: string; actorId: string | null; occurredAt: string }[];
}
