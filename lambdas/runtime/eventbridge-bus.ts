/** The `EventBus` port over Amazon EventBridge's `PutEvents`, onto the stack's bus. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBus } from '../modules/events/rules.ts';
import { required, type Settings } from './settings.ts';

export function createEventBridgeBus(client: EventBridgeClient, busName: string): EventBus {
  return {
    async put(events) {
      const out = await client.send(
        new PutEventsCommand({
          Entries: events.map((e) => ({
            EventBusName: busName,
            Source: e.source,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
            Time: new Date(e.time),
          })),
        }),
      );
      // PutEvents answers 200 with per-entry errors (throttling, internal): those are put again.
      const failed = (out.Entries ?? []).flatMap((entry, i) => (entry.ErrorCode ? [i] : []));
      return { failed };
    },
  };
}

/** The publisher's wiring: the stack's bus (`EVENT_BUS_NAME`). */
export const eventBridgeWiring = (settings: Settings) => ({
  bus: createEventBridgeBus(new EventBridgeClient({}), required(settings.eventBusName, 'EVENT_BUS_NAME')),
});
