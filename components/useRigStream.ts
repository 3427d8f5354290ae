'use client';
/**
 * One rig as a live stream (topic `rig:<name>`): its detail on join, then refreshed
 * details as the rig's events arrive, resumed without a gap after a reconnect. Reports the
 * connection so the page can say "reconnecting" instead of presenting a stale view as live.
 */
import { useEffect, useState } from 'react';
import type { RigDetail } from '@/contracts/realtime';
import { streamClient } from '@/lib/stream-client';
import type { Connection } from './useTownStream';

export interface RigStream {
  connection: Connection;
  detail: RigDetail | null;
  /** Browser time the detail arrived, to age its numbers. */
  receivedAt: number | null;
  /** Why the server refused the subscription (an unknown rig), if it did. */
  error: string | null;
}

export function useRigStream(rig: string): RigStream {
  const [state, setState] = useState<RigStream>({ connection: 'connecting', detail: null, receivedAt: null, error: null });

  useEffect(() => {
    const client = streamClient();
    const offConnection = client.onConnection((connection) => setState((s) => ({ ...s, connection })));
    const accept = (detail: RigDetail | null | undefined) => {
      if (detail === undefined) return;
      if (detail === null || detail.rig.name !== rig) {
        setState((s) => ({ ...s, error: `rig '${rig}' does not exist` }));
        return;
      }
      setState({ connection: 'live', detail, receivedAt: Date.now(), error: null });
    };
    const off = client.subscribe<RigDetail | null>(`rig:${rig}`, {
      snapshot: accept,
      delta: (_items, view) => accept(view),
      refused: (error) => setState((s) => ({ ...s, error })),
    });
    if (client.connection !== 'connecting') setState((s) => ({ ...s, connection: client.connection }));
    return () => {
      off();
      offConnection();
    };
  }, [rig]);

  return state;
}
